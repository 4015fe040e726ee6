"""The insight page as server-rendered HTML with inline SVG charts: pure functions, no JavaScript.

Every value that comes from the store (questions, reasons, passage ids, entry points) goes
through `e()` (html.escape with quotes), in text and in attributes alike; the page carries
no <script> and the web layer adds a Content-Security-Policy without script-src, so even a
mistake here could not run a stored question as script.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from bot.insight.explain import ExplainView
from bot.insight.period import DEFAULT_DAYS, Period
from bot.store import DOWN_REASONS, InsightFigures
from retrieval import Answer
from retrieval.models import PartExplanation

# Colour-blind-safe palette (Okabe-Ito), one per platform/entry series in order of size.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
QUESTION_CHARS = 300  # an example question is shown up to this long

PassageInfo = Callable[[str], tuple[str, str] | None]  # passage id -> (document title, text)

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header,main{max-width:1000px;margin:0 auto;padding:12px 20px}
header{display:flex;flex-wrap:wrap;gap:12px;align-items:center;justify-content:space-between}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px}
form.period{display:flex;gap:8px;align-items:end;flex-wrap:wrap}
label{display:flex;flex-direction:column;font-size:12px;color:#555}
input,select,button{font:inherit;padding:3px 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin:0}
.cards div{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 12px}
.cards dt{font-size:12px;color:#555}.cards dd{margin:0;font-size:22px;font-weight:600}
.cards small{font-size:12px;font-weight:400;color:#555}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e3e3e3;padding:5px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg{background:#fff;border:1px solid #ddd;border-radius:6px;max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#333}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:13px;margin:6px 0;padding:0;list-style:none}
.legend span{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}
.muted{color:#666}.q{white-space:pre-wrap;word-break:break-word}
.error{color:#a40000;font-weight:600}
pre{white-space:pre-wrap;background:#fff;border:1px solid #ddd;padding:8px}
table.concepts{width:auto;margin:6px 0}caption{text-align:left;font-size:12px;color:#555}
"""


def e(value: Any) -> str:
    """HTML-escaped text, safe in element content and in quoted attributes."""
    return html.escape(str(value), quote=True)


def percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def page(title: str, body: str) -> str:
    """A whole HTML document around `body` (already escaped)."""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{e(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def login_page(error: str | None = None, next_url: str = "/insight") -> str:
    """The form that sets the insight cookie (POST /insight/login)."""
    problem = f'<p class="error" id="login-error">{e(error)}</p>' if error else ""
    return page(
        "careerbot insight: sign in",
        "<main><h1>careerbot insight</h1>"
        "<p>This page shows how careerbot is doing. Enter the insight token "
        "(<code>CAREERBOT_INSIGHT_TOKEN</code>) to see it.</p>"
        f"{problem}"
        '<form method="post" action="/insight/login" id="login">'
        f'<input type="hidden" name="next" value="{e(next_url)}">'
        '<label>Token <input type="password" name="token" id="token" autocomplete="current-password" '
        'required autofocus></label> <button type="submit">Open</button></form></main>',
    )


def message_page(title: str, text: str) -> str:
    return page(
        title,
        f'<main><h1>{e(title)}</h1><p class="error">{e(text)}</p>'
        '<p><a href="/insight">Back to the insight page</a></p></main>',
    )


# -- charts ------------------------------------------------------------------------------------


def series_of(figures: InsightFigures) -> list[str]:
    """ "platform · entry" series, largest first (then by name), so colours are stable for a period."""
    totals: dict[str, int] = {}
    for d in figures.per_day:
        key = f"{d.platform} · {d.entry}"
        totals[key] = totals.get(key, 0) + d.asked
    return sorted(totals, key=lambda k: (-totals[k], k))


def _nice_max(value: int) -> int:
    """A round axis top at or above value (1, 2, 5 x 10^n)."""
    if value <= 5:
        return max(value, 1)
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def per_day_chart(figures: InsightFigures, period: Period, width: int = 940, height: int = 240) -> str:
    """Stacked bars: questions per day by platform and entry point, with a legend."""
    series = series_of(figures)
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(series)}
    days = period.days()
    counts: dict[tuple[str, str], int] = {}
    for d in figures.per_day:
        key = (d.day, f"{d.platform} · {d.entry}")
        counts[key] = counts.get(key, 0) + d.asked
    per_day_total = {day: sum(counts.get((day, s), 0) for s in series) for day in days}
    top = _nice_max(max(per_day_total.values(), default=0))
    left, right, upper, lower = 44, 10, 12, 28
    plot_w, plot_h = width - left - right, height - upper - lower
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.8, 1.0)
    parts = [
        f'<svg id="chart-per-day" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>Questions per day by platform and entry point, {e(period.label())}</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = upper + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{round(top * fraction)}</text>'
        )
    for n, day in enumerate(days):
        x = left + n * slot + (slot - bar) / 2
        y = upper + plot_h
        for s in series:
            count = counts.get((day, s), 0)
            if not count:
                continue
            h = plot_h * count / top
            y -= h
            parts.append(
                f'<rect class="bar" x="{x:.2f}" y="{y:.2f}" width="{bar:.2f}" height="{h:.2f}" '
                f'fill="{colour[s]}" data-day="{day}" data-series="{e(s)}" data-count="{count}">'
                f"<title>{day} {e(s)}: {count}</title></rect>"
            )
    label_every = max(1, len(days) // 8)
    for n, day in enumerate(days):
        if n % label_every == 0 or n == len(days) - 1:
            x = left + n * slot + slot / 2
            parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{day[5:]}</text>')
    parts.append("</svg>")
    legend = "".join(f'<li><span style="background:{colour[s]}"></span>{e(s)}</li>' for s in series)
    return "".join(parts) + (f'<ul class="legend" id="legend-per-day">{legend}</ul>' if series else "")


def answered_chart(figures: InsightFigures, period: Period, width: int = 940, height: int = 160) -> str:
    """A line of each day's answered share (days without questions leave a gap)."""
    asked: dict[str, int] = {}
    answered: dict[str, int] = {}
    for d in figures.per_day:
        asked[d.day] = asked.get(d.day, 0) + d.asked
        answered[d.day] = answered.get(d.day, 0) + d.answered
    days = period.days()
    left, right, upper, lower = 44, 10, 12, 24
    plot_w, plot_h = width - left - right, height - upper - lower
    slot = plot_w / max(len(days), 1)
    parts = [
        f'<svg id="chart-answered" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        "<title>Share of questions answered, per day</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = upper + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{fraction:.0%}</text>'
        )
    runs: list[list[str]] = [[]]
    for n, day in enumerate(days):
        if not asked.get(day):
            if runs[-1]:
                runs.append([])
            continue
        share = answered.get(day, 0) / asked[day]
        x, y = left + n * slot + slot / 2, upper + plot_h * (1 - share)
        runs[-1].append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#009E73" data-day="{day}" '
            f'data-share="{share:.4f}"><title>{day}: {answered.get(day, 0)} of {asked[day]} answered'
            "</title></circle>"
        )
    for run in runs:
        if len(run) > 1:
            parts.append(
                f'<polyline fill="none" stroke="#009E73" stroke-width="1.5" points="{" ".join(run)}"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def bars_chart(chart_id: str, title: str, rows: Sequence[tuple[str, int]], width: int = 600) -> str:
    """Horizontal bars, one labelled row each (e.g. 👎 reasons)."""
    row_h, label_w, right = 24, 190, 50
    height = max(len(rows), 1) * row_h + 10
    top = max((n for _, n in rows), default=0) or 1
    parts = [
        f'<svg id="{e(chart_id)}" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{e(title)}</title>'
    ]
    if not rows:
        parts.append('<text x="10" y="20" class="muted">nothing in this period</text>')
    for n, (label, count) in enumerate(rows):
        y = 5 + n * row_h
        w = (width - label_w - right) * count / top
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{e(label)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{w:.2f}" height="{row_h - 8}" fill="#D55E00" '
            f'data-label="{e(label)}" data-count="{count}"><title>{e(label)}: {count}</title></rect>'
            f'<text x="{label_w + w + 6:.2f}" y="{y + 16}">{count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# -- the page -------------------------------------------------------------------------------------


def reason_label(key: str) -> str:
    return "no reason given" if key == "none" else DOWN_REASONS.get(key, key)


def _card(card_id: str, label: str, value: str, note: str = "") -> str:
    small = f" <small>{e(note)}</small>" if note else ""
    return f'<div><dt>{e(label)}</dt><dd id="{e(card_id)}">{e(value)}{small}</dd></div>'


def _period_form(period: Period) -> str:
    options = "".join(
        f'<option value="{n}"{" selected" if period.length == n else ""}>last {n} days</option>'
        for n in (7, 30, 90, 365)
    )
    return (
        '<form class="period" method="get" action="/insight" id="period">'
        f'<label>Period <select name="days">{options}</select></label><button type="submit">Show</button>'
        f'<label>from <input type="date" name="from" value="{period.first.isoformat()}"></label>'
        f'<label>to <input type="date" name="to" value="{period.last.isoformat()}"></label>'
        '<button type="submit" name="range" value="1">Show range</button></form>'
        '<form method="post" action="/insight/logout"><button type="submit">Sign out</button></form>'
    )


def explain_href(ask_id: str) -> str:
    return "/insight/explain?" + urlencode({"ask": ask_id})


def insight_page(figures: InsightFigures, period: Period, passage_info: PassageInfo | None = None) -> str:
    """The whole insight page for one period."""
    f = figures
    cards = "".join(
        [
            _card("asked", "Questions", f"{f.asked:,}", f"from {f.askers:,} people"),
            _card("answered-rate", "Answered", percent(f.answered, f.asked), f"{f.answered:,}"),
            _card(
                "auto-resolved-rate",
                "Auto-resolved",
                percent(f.auto_resolved, f.asked),
                f"{f.auto_resolved:,}",
            ),
            _card("marked-answered", "“That answers it”", f"{f.marked_answered:,}"),
            _card("votes-up", "👍", f"{f.up:,}"),
            _card("votes-down", "👎", f"{f.down:,}", percent(f.down, f.up + f.down) + " of votes"),
            _card("handoffs-open", "Hand-offs open", f"{f.handoffs_open:,}"),
            _card("handoffs-resolved", "Hand-offs resolved", f"{f.handoffs_resolved:,}"),
        ]
    )
    reasons = [(reason_label(k), n) for k, n in f.reasons.items()]
    reason_rows = (
        "".join(f'<tr><td>{e(label)}</td><td class="n">{n:,}</td></tr>' for label, n in reasons)
        or '<tr><td colspan="2" class="muted">no 👎 in this period</td></tr>'
    )

    group_rows = []
    for g in f.unanswered_groups:
        concepts = e(g.concepts) if g.concepts else '<span class="muted">(no searchable words)</span>'
        if g.example is not None and g.example_ask_id is not None:
            example = (
                f'<span class="q">{e(g.example[:QUESTION_CHARS])}</span> '
                f'<a class="explain" href="{e(explain_href(g.example_ask_id))}">why no answer?</a>'
            )
        else:
            example = '<span class="muted">text past the retention period</span>'
        group_rows.append(
            f'<tr class="group"><td>{concepts}</td><td class="n">{g.count:,}</td><td>{example}</td></tr>'
        )
    groups = "".join(group_rows) or '<tr><td colspan="3" class="muted">every question got an answer</td></tr>'

    passage_rows = []
    for passage_id, n in f.downvoted_passages:
        info = passage_info(passage_id) if passage_info else None
        title, text = info if info else ("(no longer in the corpus)", "")
        passage_rows.append(
            f'<tr class="passage"><td><code>{e(passage_id)}</code><br>{e(title)}</td>'
            f'<td class="n">{n:,}</td><td class="q">{e(text[:240])}</td></tr>'
        )
    passages = "".join(passage_rows) or '<tr><td colspan="3" class="muted">no 👎 in this period</td></tr>'

    day_rows = "".join(
        f"<tr><td>{d.day}</td><td>{e(d.platform)}</td><td>{e(d.entry)}</td>"
        f'<td class="n">{d.asked:,}</td><td class="n">{d.answered:,}</td></tr>'
        for d in f.per_day
    )
    body = (
        f"<header><h1>careerbot insight</h1>{_period_form(period)}</header><main>"
        f'<p id="period-label">{e(period.label())} (UTC)</p>'
        f'<dl class="cards">{cards}</dl>'
        '<p class="muted">Auto-resolved: answered, with no 👎 and no hand-off. People are shown only as a count.</p>'
        f"<h2>Questions per day, by platform and entry point</h2>{per_day_chart(f, period)}"
        f"<h2>Answered per day</h2>{answered_chart(f, period)}"
        '<details><summary>The numbers</summary><table id="per-day"><thead><tr><th>day</th><th>platform</th>'
        '<th>entry point</th><th class="n">asked</th><th class="n">answered</th></tr></thead>'
        f"<tbody>{day_rows}</tbody></table></details>"
        f"<h2>Why 👎</h2>{bars_chart('chart-reasons', '👎 reasons', reasons)}"
        f'<table id="reasons"><thead><tr><th>reason</th><th class="n">👎</th></tr></thead><tbody>{reason_rows}</tbody></table>'
        "<h2>Most frequent unanswered questions, by concept</h2>"
        '<table id="unanswered"><thead><tr><th>concepts</th><th class="n">asked</th><th>example</th></tr></thead>'
        f"<tbody>{groups}</tbody></table>"
        "<h2>Passages with the most 👎</h2>"
        '<table id="passages"><thead><tr><th>passage</th><th class="n">👎</th><th>text</th></tr></thead>'
        f"<tbody>{passages}</tbody></table></main>"
    )
    return page(f"careerbot insight: {period.label()}", body)


def _part(title: str, part: PartExplanation, part_id: str) -> str:
    """One part of an Explanation as HTML: what format_explanation prints for it, every value escaped."""
    steps = [("cleaned", part.cleaned or "(nothing left)")]
    if part.removed:
        steps.append(("removed", ", ".join(part.removed)))
    if part.rewritten:
        steps.append(("rewritten", ", ".join(f"{a} -> {b}" for a, b in part.rewritten)))
    if part.corrections:
        steps.append(("corrected", ", ".join(f"{a} -> {b}" for a, b in part.corrections)))
    rows = (
        "".join(
            f'<tr class="concept"><td class="label">{e(c.label)}</td><td class="kind">{e(c.kind)}</td>'
            f'<td class="n">{c.weight:.2f}</td>'
            f'<td class="n">{e(f"{c.idf:.2f}" if c.idf is not None else "not in the documents")}</td></tr>'
            for c in part.concepts
        )
        or '<tr><td colspan="4" class="muted">(none)</td></tr>'
    )
    g = part.gate
    return (
        f'<section class="part" id="{e(part_id)}"><h2>{e(title)}: <span class="q">{e(part.text)}</span></h2>'
        "<dl>" + "".join(f'<dt>{e(k)}</dt><dd class="q">{e(v)}</dd>' for k, v in steps) + "</dl>"
        '<table class="concepts"><caption>concepts (weight = information in general English; '
        "idf = in these documents)</caption>"
        '<tr><th>concept</th><th>kind</th><th class="n">weight</th><th class="n">idf</th></tr>'
        f"{rows}</table>"
        f'<p class="gate">gate: best passage holds {g.held_share:.0%} of the known information '
        f"({g.held_concepts} of {g.known_concepts} concepts); words the documents lack: {g.absent_share:.0%}</p>"
        f'<p class="part-verdict">verdict: {e("answer" if g.answerable else "no answer")} ({e(g.reason)})</p>'
        "</section>"
    )


def _answer(answer: Answer) -> str:
    """What the bot would reply: the passages it quotes, or the corpus's no-answer sentence."""
    if answer.answered:
        items = "".join(
            f'<li class="hit"><strong>{e(h.title)}</strong> <code>{e(h.passage_id)}</code> '
            f'<span class="muted">score {h.score:.2f}</span><br><span class="q">{e(h.text[:QUESTION_CHARS])}</span></li>'
            for h in answer.hits
        )
        return f"<ol>{items}</ol>"
    examples = "".join(f'<li class="q">{e(x)}</li>' for x in answer.examples)
    return f'<p class="q">{e(answer.no_answer or "No answer.")}</p>' + (
        f"<ul>{examples}</ul>" if examples else ""
    )


def explain_page(view: ExplainView, back: str = "/insight") -> str:
    """The `careerbot ask --explain` view of one question, as HTML: the engine's Explanation part
    by part, the answer it leads to, and the same explanation as the terminal prints it."""
    verdict = {True: "answered", False: "not answered", None: "the question can't be read"}[view.answered]
    error = f'<p class="error">{e(view.error)}</p>' if view.error else ""
    steps = answer = ""
    if view.answer is not None and view.answer.explanation is not None:
        explanation = view.answer.explanation
        steps = _part("question", explanation.whole, "explain-whole") + "".join(
            _part(f"part {n}", part, f"explain-part-{n}") for n, part in enumerate(explanation.parts, 1)
        )
    if view.answer is not None:
        answer = f'<section id="explain-answer"><h2>The answer</h2>{_answer(view.answer)}</section>'
    text = (
        '<details id="explain-text"><summary>As <code>careerbot ask --explain</code> prints it</summary>'
        f"<pre>{e(view.text)}</pre></details>"
        if view.text
        else ""
    )
    body = (
        f'<main><p><a href="{e(back)}">← insight</a></p><h1>Why this answer?</h1>'
        f'<p>Question: <strong class="q" id="explain-question">{e(view.question)}</strong></p>'
        f'<p id="explain-verdict">Verdict: {e(verdict)}</p>{error}'
        f'<section id="explain-steps">{steps}</section>{answer}{text}'
        '<p class="muted">The same explanation as <code>careerbot ask --explain</code>.</p></main>'
    )
    return page("careerbot insight: explain", body)


def period_query(period: Period) -> str:
    """The query string that shows `period` again."""
    if period.length == DEFAULT_DAYS:
        return ""
    return "?" + urlencode({"from": period.first.isoformat(), "to": period.last.isoformat()})
