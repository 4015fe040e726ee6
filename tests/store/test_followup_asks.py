"""Follow-ups answered without a mention are asks like any other, on SQLite and PostgreSQL:
recorded with entry point "followup" once their reply is sent, so the insight page and
`careerbot feedback` count them; a follow-up with nothing new (no reply) is not an ask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.answering import Answering
from bot.followups import ENTRY, Conversations, FollowUpPolicy
from bot.insight.period import parse_period
from bot.insight.report import insight_json
from bot.store import Store, VoteRecord
from retrieval import Engine

FIRST = "What does a machine learning engineer do day to day?"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_corpus()


def test_an_answered_follow_up_is_recorded_as_an_ask(store: Store, engine: Engine) -> None:
    answering = Answering(engine, store)
    conversations = Conversations(answering, FollowUpPolicy(max_answers=5, idle_seconds=600))
    mention = answering.ask(FIRST, platform="discord", entry="mention", channel="10", user="7")
    assert mention.answer is not None
    answering.remember_unanswered(mention, "discord")
    conversations.started("discord", "thread:20", FIRST, mention.answer)
    state = conversations.following("discord", "thread:20")
    assert state is not None

    asked = conversations.follow_up(
        state, "and do they need to learn devops?", "discord", channel="20", user="8"
    )
    assert (
        asked is not None and asked.answer is not None and asked.ask_id and asked.entry == ENTRY == "followup"
    )
    assert store.get_ask(asked.ask_id) is None  # not before its reply is sent
    conversations.answered("discord", "thread:20", state, asked.answer, asked)
    stored = store.get_ask(asked.ask_id)
    assert stored is not None
    assert (stored.platform, stored.entry, stored.channel, stored.user, stored.answered) == (
        "discord",
        "followup",
        "20",
        "8",
        True,
    )
    assert stored.question == "and do they need to learn devops?"
    assert stored.passage_ids == tuple(h.passage_id for h in asked.answer.hits) and stored.passage_ids

    # Nothing new to say (chatter): no reply, no ask.
    after = conversations.following("discord", "thread:20")
    assert after is not None and conversations.follow_up(after, "thanks!", "discord") is None

    today = parse_period(days=2, today=datetime.now(UTC).date())  # a run at midnight too
    figures = store.insight(today.since, today.until)
    assert (figures.asked, figures.answered, figures.askers) == (2, 2, 2)
    assert sorted((d.platform, d.entry, d.asked) for d in figures.per_day) == [
        ("discord", "followup", 1),
        ("discord", "mention", 1),
    ]
    # `careerbot feedback --json` prints the same figures.
    data = insight_json(figures, today)
    assert data["questions"]["asked"] == 2
    assert {d["entry"]: d["asked"] for d in data["per_day"]} == {"followup": 1, "mention": 1}
    # Its buttons' votes count against it: a 👎 makes the follow-up not auto-resolved.
    store.record_vote(
        VoteRecord(
            platform="discord", answer_key="901", user="8", vote="down", question="q", ask_id=asked.ask_id
        ),
        now=datetime.now(UTC) + timedelta(seconds=1),
    )
    assert store.insight(today.since, today.until).auto_resolved == 1
