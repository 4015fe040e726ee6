"""The insight figures for a terminal (`careerbot feedback`) and for scripts (`--json`): pure."""

from __future__ import annotations

from typing import Any

from bot.insight.period import Period
from bot.insight.render import reason_label, series_of
from bot.store import FeedbackTotals, InsightFigures

SHOWN = 10


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def insight_text(figures: InsightFigures, period: Period) -> str:
    """The insight page's figures as plain lines."""
    f = figures
    lines = [
        f"period: {period.label()} (UTC)",
        f"questions: {f.asked} from {f.askers} people, answered {f.answered} ({_rate(f.answered, f.asked)})",
        f"auto-resolved: {f.auto_resolved} ({_rate(f.auto_resolved, f.asked)}; answered, no 👎, no hand-off)",
        f"“that answers it”: {f.marked_answered}",
        f"votes: {f.up} 👍, {f.down} 👎",
        f"hand-offs: {f.handoffs_open} open, {f.handoffs_resolved} resolved",
    ]
    totals: dict[str, tuple[int, int]] = {}
    for d in f.per_day:
        key = f"{d.platform} · {d.entry}"
        asked, answered = totals.get(key, (0, 0))
        totals[key] = (asked + d.asked, answered + d.answered)
    if totals:
        lines.append("\nquestions by platform and entry point:")
        lines.extend(
            f"  {key:28} {totals[key][0]:>7}  answered {_rate(totals[key][1], totals[key][0])}"
            for key in series_of(f)
        )
    if f.reasons:
        lines.append("\n👎 reasons:")
        lines.extend(f"  {reason_label(k):28} {n:>7}" for k, n in f.reasons.items())
    lines.append(f"\nunanswered questions by concept: {len(f.unanswered_groups)}")
    for g in f.unanswered_groups[:SHOWN]:
        example = (g.example or "(text past retention)")[:120]
        lines.append(f"  {g.count:>5}  {(g.concepts or '(no searchable words)')[:40]:40}  e.g. {example}")
    lines.append(f"\npassages with the most 👎: {len(f.downvoted_passages)}")
    lines.extend(f"  {n:>5}  {passage_id}" for passage_id, n in f.downvoted_passages[:SHOWN])
    return "\n".join(lines)


def insight_json(
    figures: InsightFigures, period: Period, totals: FeedbackTotals | None = None
) -> dict[str, Any]:
    """A stable JSON shape (extend it; never rename a key)."""
    f = figures
    data: dict[str, Any] = {
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat(), "days": period.length},
        "questions": {
            "asked": f.asked,
            "answered": f.answered,
            "answered_rate": round(f.answered_rate, 4),
            "askers": f.askers,
        },
        "per_day": [d.model_dump() for d in f.per_day],
        "votes": {
            "up": f.up,
            "down": f.down,
            "down_rate": round(f.down / (f.up + f.down), 4) if f.up + f.down else 0.0,
            "reasons": dict(f.reasons),
        },
        "resolution": {
            "auto_resolved": f.auto_resolved,
            "auto_resolved_rate": round(f.auto_resolved_rate, 4),
            "marked_answered": f.marked_answered,
            "handoffs_open": f.handoffs_open,
            "handoffs_resolved": f.handoffs_resolved,
        },
        "unanswered_groups": [
            {"concepts": g.concepts, "count": g.count, "example": g.example} for g in f.unanswered_groups
        ],
        "downvoted_passages": [{"passage_id": p, "down": n} for p, n in f.downvoted_passages],
    }
    if totals is not None:
        data["all_time"] = totals.model_dump()
    return data
