"""/insight over real HTTP in the real web process: the token, the login cookie, periods, explain links."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from pathlib import Path

from bench.insight import SCRIPT_QUESTION, Seeded
from bot.insight.period import parse_period
from bot.store import AskRecord
from bot.store.sqlite import SQLiteStore
from retrieval import Engine
from retrieval.explain import format_explanation
from tests.insight.conftest import TOKEN, Web, start, web_settings


def expected(seeded: Seeded, days: int = 30) -> dict[str, int]:
    """The figures the page must show for the last `days` days, counted from the seed itself."""
    period = parse_period(days=days)
    inside = lambda at: period.since <= at < period.until  # noqa: E731
    asks = [a for a, at in seeded.asks if inside(at)]
    votes = [v for v, at in seeded.votes if inside(at)]
    handoffs = [(h, r) for h, at, r in seeded.handoffs if inside(at)]
    flagged = {v.ask_id for v, _ in seeded.votes if v.vote == "down"} | {
        h.ask_id for h, _, _ in seeded.handoffs
    }
    return {
        "asked": len(asks),
        "answered": sum(a.answered for a in asks),
        "auto": sum(a.answered and a.ask_id not in flagged for a in asks),
        "up": sum(v.vote == "up" for v in votes),
        "down": sum(v.vote == "down" for v in votes),
        "open": sum(not r for _, r in handoffs),
        "resolved": sum(r for _, r in handoffs),
        "script_asks": sum(a.question == SCRIPT_QUESTION for a in asks),
    }


def card(page: str, card_id: str) -> str:
    match = re.search(rf'<dd id="{card_id}">([^<]*)', page)
    assert match, card_id
    return match.group(1).strip()


def test_no_token_configured_means_no_page(tmp_path: Path, engine: Engine, store: SQLiteStore) -> None:
    web, server = start(web_settings(tmp_path), engine, store)
    try:
        for method, path in (
            ("GET", "/insight"),
            ("GET", "/insight/explain?ask=x"),
            ("POST", "/insight/login"),
        ):
            reply = web.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert reply.status == 404, path
        assert web.get("/healthz").status == 200  # the rest of the web process is there
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_the_token_is_required(web: Web, seeded: Seeded) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token-wrong-token"},
        {"Authorization": TOKEN},
        {"Cookie": "careerbot_insight=" + "0" * 64},
    ):
        reply = web.get("/insight", **headers)
        assert reply.status == 401, headers
        assert 'id="login"' in reply.body and "Questions" not in reply.body
        assert reply.headers["www-authenticate"].startswith("Bearer")
    assert web.get("/insight/explain?ask=x").status == 401
    assert web.get_signed_in("/insight").status == 200


def test_login_sets_a_cookie_that_opens_the_page(web: Web, seeded: Seeded) -> None:
    wrong = web.request("POST", "/insight/login", form={"token": "not-the-token", "next": "/insight?days=7"})
    assert wrong.status == 401 and 'id="login-error"' in wrong.body and not wrong.cookies
    right = web.request("POST", "/insight/login", form={"token": TOKEN, "next": "/insight?days=7"})
    assert right.status == 303 and right.headers["location"].endswith("/insight?days=7")
    set_cookie = right.cookies["careerbot_insight"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/insight" in set_cookie
    assert TOKEN not in set_cookie  # an HMAC of the token, not the token
    cookie = set_cookie.split(";", 1)[0]
    page = web.request("GET", "/insight?days=7", headers={"Cookie": cookie})
    assert page.status == 200 and 'id="chart-per-day"' in page.body
    # Never redirected off the page, however `next` is written.
    for evil in ("https://evil.example/", "//evil.example/insight", "/elsewhere"):
        bounce = web.request("POST", "/insight/login", form={"token": TOKEN, "next": evil})
        assert bounce.headers["location"].endswith("/insight"), evil
    out = web.request("POST", "/insight/logout", headers={"Cookie": cookie})
    assert out.status == 303 and "careerbot_insight=;" in out.cookies["careerbot_insight"]


def test_the_page_shows_the_seeded_figures(web: Web, seeded: Seeded) -> None:
    want = expected(seeded)
    reply = web.get_signed_in("/insight")
    assert reply.status == 200
    page = reply.body
    assert card(page, "asked") == f"{want['asked']:,}"
    assert card(page, "answered-rate") == f"{want['answered'] / want['asked']:.0%}"
    assert card(page, "auto-resolved-rate") == f"{want['auto'] / want['asked']:.0%}"
    assert card(page, "votes-up") == str(want["up"]) and card(page, "votes-down") == str(want["down"])
    assert card(page, "handoffs-open") == str(want["open"])
    assert card(page, "handoffs-resolved") == str(want["resolved"])
    bars = re.findall(r'<rect class="bar"[^>]*data-day="[^"]*"[^>]*data-count="(\d+)"', page)
    assert sum(map(int, bars)) == want["asked"]  # the chart adds up to the total
    # Headers: no caching, no script at all.
    assert reply.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in reply.headers["content-security-policy"]
    assert "script-src" not in reply.headers["content-security-policy"]


def test_a_script_question_is_text(web: Web, seeded: Seeded) -> None:
    page = web.get_signed_in("/insight").body
    assert "<script" not in page
    assert "&lt;script&gt;document.title=&quot;pwned&quot;" in page


def test_periods_and_bad_ones(web: Web, seeded: Seeded, now: datetime) -> None:
    week = web.get_signed_in("/insight?days=7")
    assert week.status == 200 and card(week.body, "asked") == f"{expected(seeded, 7)['asked']:,}"
    today = now.date()
    ranged = web.get_signed_in(f"/insight?from={today - timedelta(days=6)}&to={today}&range=1")
    assert card(ranged.body, "asked") == card(week.body, "asked")
    for query in (
        "days=0",
        "days=abc",
        "days=400",
        "from=2026-13-01&range=1",
        f"from={today}&to={today - timedelta(days=1)}&range=1",
    ):
        reply = web.get_signed_in(f"/insight?{query}")
        assert reply.status == 400, query
        assert reply.body.count('class="error"') == 1


def test_each_unanswered_group_links_to_its_explanation(web: Web, seeded: Seeded, store: SQLiteStore) -> None:
    page = web.get_signed_in("/insight").body
    links = re.findall(r'<a class="explain" href="([^"]+)"', page)
    assert links, "no explain link"
    groups = re.findall(r'<tr class="group">', page)
    assert len(links) == len(groups)
    for link in links:
        reply = web.get_signed_in(link.replace("&amp;", "&"))
        assert reply.status == 200
        assert 'id="explain-steps"' in reply.body and "Verdict: not answered" in reply.body
        assert "<script" not in reply.body
    assert web.get_signed_in("/insight/explain?ask=nope").status == 404


def test_explain_renders_an_answered_question(web: Web, store: SQLiteStore, engine: Engine) -> None:
    question = "What does an ML engineer do day to day?"
    store.record_ask(
        AskRecord(
            ask_id="a1", platform="slack", entry="mention", question=question, answered=True, concepts="x"
        )
    )
    reply = web.get_signed_in("/insight/explain?ask=a1")
    assert reply.status == 200 and "Verdict: answered" in reply.body
    hits = engine.ask(question, top_k=3).hits
    assert hits and all(f"<code>{html.escape(h.passage_id)}</code>" in reply.body for h in hits)


def test_a_refused_questions_explanation_shows_its_verdict_and_concepts(
    web: Web, store: SQLiteStore, engine: Engine
) -> None:
    """The explain link's page holds the engine's own explanation (careerbot ask --explain)."""
    question = "When does the cafeteria open <b>today</b>?"
    store.record_ask(
        AskRecord(
            ask_id="r1", platform="discord", entry="dm", question=question, answered=False, concepts="x"
        )
    )
    reply = web.get_signed_in("/insight/explain?ask=r1")
    assert reply.status == 200 and "Verdict: not answered" in reply.body
    explanation = engine.ask(question, explain=True).explanation
    assert explanation is not None
    whole = explanation.whole
    assert not whole.gate.answerable
    assert f"verdict: no answer ({html.escape(whole.gate.reason)})" in reply.body
    concepts = re.findall(r'<td class="label">(.*?)</td><td class="kind">(.*?)</td>', reply.body)
    assert concepts == [(html.escape(c.label), c.kind) for c in whole.concepts]
    assert ("cafeteria", "absent") in concepts
    assert f"<pre>{html.escape(format_explanation(explanation))}</pre>" in reply.body
    assert "<b>" not in reply.body and html.escape(question) in reply.body
