"""The store's contract for issue 14, on SQLite and PostgreSQL: asks, "That answers it", 👎 reasons,
hand-offs and their resolution, per-channel helpers, the insight figures and the retention purge."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store import AskRecord, Handoff, Store, open_store
from bot.store.common import MAX_QUESTION_CHARS, MAX_REASON_CHARS
from tests.store.workers import NOW, open_url, vote


def ask(
    ask_id: str,
    answered: bool = True,
    question: str = "What is MLOps?",
    platform: str = "slack",
    entry: str = "mention",
    concepts: str = "mlops",
    user: str = "U1",
    passages: tuple[str, ...] = ("doc#1",),
) -> AskRecord:
    return AskRecord(
        ask_id=ask_id,
        platform=platform,
        entry=entry,
        question=question,
        answered=answered,
        hits=len(passages) if answered else 0,
        passage_ids=passages if answered else (),
        concepts=concepts,
        channel="C1",
        user=user,
    )


def handoff(
    handoff_id: str = "h1", ask_id: str | None = "a1", question: str | None = "What is MLOps?"
) -> Handoff:
    return Handoff(
        handoff_id=handoff_id,
        platform="slack",
        ask_id=ask_id,
        channel="C1",
        question=question,
        asker="U1",
        helpers=("group:S1", "user:U9"),
    )


def test_asks_round_trip_and_repeat_ids_are_ignored(store: Store) -> None:
    store.record_ask(ask("a1", question="Is a PhD `%s` needed? 100%"), now=NOW)
    store.record_ask(ask("a1", question="something else"), now=NOW)  # a retried delivery
    stored = store.get_ask("a1")
    assert stored == ask("a1", question="Is a PhD `%s` needed? 100%")
    assert store.get_ask("nope") is None
    store.record_ask(ask("a2", question="x" * (MAX_QUESTION_CHARS + 10)), now=NOW)
    assert store.get_ask("a2").question == "x" * MAX_QUESTION_CHARS  # type: ignore[union-attr]
    figures = store.insight(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert figures.asked == 2


def test_that_answers_it_counts_once_per_person(store: Store) -> None:
    store.record_ask(ask("a1"), now=NOW)
    assert store.mark_answered("a1", "U1", now=NOW) is True
    assert store.mark_answered("a1", "U1", now=NOW) is False
    assert store.mark_answered("a1", "U2", now=NOW) is True
    figures = store.insight(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert figures.marked_answered == 1  # asks, not clicks


def test_a_down_reason_is_stored_with_the_vote_and_dropped_when_it_changes(store: Store) -> None:
    assert store.set_vote_reason("slack", "C1:1.0", "U1", "wrong") is False  # no 👎 yet
    store.record_vote(vote("U1", "down").model_copy(update={"ask_id": "a1"}), now=NOW)
    assert store.set_vote_reason("slack", "C1:1.0", "U1", "wrong", "  the link is dead " + "z" * 900) is True
    stored = store.get_vote("slack", "C1:1.0", "U1")
    assert stored is not None and stored.reason == "wrong" and stored.ask_id == "a1"
    assert stored.reason_text == ("the link is dead " + "z" * 900)[:MAX_REASON_CHARS]
    # The same 👎 clicked again keeps its reason; a change to 👍 drops it.
    store.record_vote(vote("U1", "down"), now=NOW + timedelta(seconds=1))
    again = store.get_vote("slack", "C1:1.0", "U1")
    assert again is not None and again.reason == "wrong" and again.ask_id == "a1"
    store.record_vote(vote("U1", "up"), now=NOW + timedelta(seconds=2))
    flipped = store.get_vote("slack", "C1:1.0", "U1")
    assert flipped is not None and (flipped.reason, flipped.reason_text) == (None, None)
    assert store.set_vote_reason("slack", "C1:1.0", "U1", "wrong") is False  # a 👍 takes no reason
    # An empty text is no text.
    store.record_vote(vote("U2", "down"), now=NOW)
    assert store.set_vote_reason("slack", "C1:1.0", "U2", "other", "   ") is True
    assert store.get_vote("slack", "C1:1.0", "U2").reason_text is None  # type: ignore[union-attr]


def test_one_handoff_per_ask_and_one_resolution(store: Store) -> None:
    first = store.open_handoff(handoff("h1"), now=NOW)
    assert first.handoff_id == "h1" and first.helpers == ("group:S1", "user:U9") and not first.resolved
    assert first.created_at == NOW.timestamp()
    second = store.open_handoff(handoff("h2"), now=NOW + timedelta(seconds=5))  # pressed twice
    assert second.handoff_id == "h1"  # the first one: the caller posts nothing new
    assert store.get_handoff("h2") is None
    assert store.resolve_handoff("h1", "U9", now=NOW + timedelta(hours=1)) is True
    assert store.resolve_handoff("h1", "U1", now=NOW + timedelta(hours=2)) is False  # already resolved
    assert store.resolve_handoff("unknown", "U1") is False
    resolved = store.get_handoff("h1")
    assert resolved is not None and resolved.resolved and resolved.resolved_by == "U9"
    assert resolved.resolved_at == (NOW + timedelta(hours=1)).timestamp()
    # Hand-offs without an ask (an old answer's button) are each their own.
    assert store.open_handoff(handoff("h3", ask_id=None), now=NOW).handoff_id == "h3"
    assert store.open_handoff(handoff("h4", ask_id=None), now=NOW).handoff_id == "h4"
    figures = store.insight(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert (figures.handoffs_open, figures.handoffs_resolved) == (2, 1)


def test_channel_helpers_override(store: Store) -> None:
    assert store.channel_helpers("slack", "C1") is None
    store.set_channel_helpers("slack", "C1", "slack:S1")
    store.set_channel_helpers("slack", "C1", "slack:U2")  # replaces
    store.set_channel_helpers("discord", "C1", "discord:role:5")
    assert store.channel_helpers("slack", "C1") == "slack:U2"
    assert store.list_channel_helpers() == [("discord", "C1", "discord:role:5"), ("slack", "C1", "slack:U2")]
    store.set_channel_helpers("slack", "C1", None)
    assert store.channel_helpers("slack", "C1") is None
    store.set_channel_helpers("slack", "C1", None)  # removing twice is harmless


def test_insight_figures(store: Store) -> None:
    day1, day2 = NOW, NOW + timedelta(days=1)
    store.record_ask(ask("a1", user="U1", passages=("doc#1", "doc#2")), now=day1)
    store.record_ask(ask("a2", user="U2", entry="command"), now=day1)
    store.record_ask(ask("a3", user="U1", platform="discord", entry="command"), now=day2)
    store.record_ask(ask("a4", answered=False, question="When is lunch?", concepts="lunch"), now=day2)
    store.record_ask(ask("a5", answered=False, question="Lunch time?", concepts="lunch"), now=day2)
    store.record_ask(ask("a6", answered=False, question="Tell me a joke", concepts="joke"), now=day2)
    store.record_ask(ask("old", answered=False, concepts="lunch"), now=NOW - timedelta(days=30))  # outside
    # a1: 👎 with a reason (not auto-resolved); a2: hand-off (not auto-resolved); a3: 👍 (auto-resolved).
    store.record_vote(
        vote("U1", "down").model_copy(update={"ask_id": "a1", "passage_ids": ("doc#1", "doc#2")}), now=day1
    )
    store.set_vote_reason("slack", "C1:1.0", "U1", "incomplete")
    store.record_vote(
        vote("U2", "down", key="C1:9.0").model_copy(update={"ask_id": "a2", "passage_ids": ("doc#1",)}),
        now=day1,
    )
    store.record_vote(vote("U3", "up", key="C1:3.0").model_copy(update={"ask_id": "a3"}), now=day2)
    store.open_handoff(handoff("h1", ask_id="a2"), now=day1)
    store.mark_answered("a3", "U1", now=day2)

    figures = store.insight(NOW - timedelta(hours=1), NOW + timedelta(days=2))
    assert (figures.asked, figures.answered, figures.askers) == (6, 3, 2)
    assert figures.answered_rate == pytest.approx(0.5)
    assert [(d.day, d.platform, d.entry, d.asked, d.answered) for d in figures.per_day] == [
        ("2026-11-22", "slack", "command", 1, 1),
        ("2026-11-22", "slack", "mention", 1, 1),
        ("2026-11-23", "discord", "command", 1, 1),
        ("2026-11-23", "slack", "mention", 3, 0),
    ]
    assert (figures.up, figures.down) == (1, 2)
    assert figures.reasons == {"incomplete": 1, "none": 1}
    assert figures.auto_resolved == 1 and figures.auto_resolved_rate == pytest.approx(1 / 6)
    assert figures.marked_answered == 1
    assert (figures.handoffs_open, figures.handoffs_resolved) == (1, 0)
    groups = [(g.concepts, g.count, g.example, g.example_ask_id) for g in figures.unanswered_groups]
    assert groups == [("lunch", 2, "Lunch time?", "a5"), ("joke", 1, "Tell me a joke", "a6")]
    assert figures.downvoted_passages == [("doc#1", 2), ("doc#2", 1)]
    # An empty period is all zeros, not an error.
    empty = store.insight(NOW + timedelta(days=10), NOW + timedelta(days=11))
    assert (empty.asked, empty.answered_rate, empty.auto_resolved_rate, empty.per_day) == (0, 0.0, 0.0, [])
    assert store.insight(NOW, NOW + timedelta(days=2), top=1).unanswered_groups[0].concepts == "lunch"


def test_retention_purges_texts_and_keeps_counts(store: Store) -> None:
    store.retention_days = 90  # type: ignore[attr-defined]
    old, recent = NOW - timedelta(days=91), NOW - timedelta(days=89)
    store.record_ask(ask("a1-old", answered=False, question="old secret?", concepts="secret"), now=old)
    store.record_ask(ask("a2-new", answered=False, question="new secret?", concepts="secret"), now=recent)
    store.record_vote(vote("U1", "down", question="old secret?"), now=old)
    store.set_vote_reason("slack", "C1:1.0", "U1", "other", "my own words")
    store.record_vote(vote("U2", "down", key="C1:2.0", question="new secret?"), now=recent)
    store.open_handoff(handoff("h-old", ask_id="a1-old", question="old secret?"), now=old)
    store.open_handoff(handoff("h-new", ask_id="a2-new", question="new secret?"), now=recent)
    store.log_unanswered("slack", "old secret?", now=old)
    store.log_unanswered("slack", "new secret?", now=recent)

    assert store.purge_questions(now=NOW) == 4  # the old ask, vote, hand-off and unanswered log
    assert store.purge_questions(now=NOW) == 0
    assert store.get_ask("a1-old") is None and store.get_ask("a2-new") is not None
    old_vote = store.get_vote("slack", "C1:1.0", "U1")
    assert old_vote is not None and old_vote.question == "" and old_vote.reason_text is None
    assert old_vote.reason == "other"  # the fixed choice is a count, not a text
    assert store.get_handoff("h-old").question is None  # type: ignore[union-attr]
    assert store.get_handoff("h-new").question == "new secret?"  # type: ignore[union-attr]
    assert store.feedback_totals().unanswered_questions == ["new secret?"]
    figures = store.insight(NOW - timedelta(days=100), NOW)
    assert figures.asked == 2 and figures.down == 2  # counts stay
    (group,) = figures.unanswered_groups
    assert (group.count, group.example, group.example_ask_id) == (2, "new secret?", "a2-new")
    # Once every text of a group is gone, the group has no example (and so no link).
    store.retention_days = 1  # type: ignore[attr-defined]
    store.purge_questions(now=NOW)
    (group,) = store.insight(NOW - timedelta(days=100), NOW).unanswered_groups
    assert (group.count, group.example, group.example_ask_id) == (2, None, None)


def test_asks_purge_as_they_come_in(store: Store) -> None:
    store.purge_every = 2  # type: ignore[attr-defined]
    store.retention_days = 1  # type: ignore[attr-defined]
    store.record_ask(ask("a1", question="old?"), now=NOW - timedelta(days=3))
    store.record_ask(ask("a2", question="new?"), now=NOW)  # the second ask purges
    assert store.get_ask("a1") is None and store.get_ask("a2") is not None


def test_open_store_applies_the_retention_setting(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    first = open_url(str(path))
    first.record_ask(ask("a1", question="ten days old"), now=None)
    first._execute("UPDATE asks SET asked_at = asked_at - 10 * 86400", ())  # type: ignore[attr-defined]
    first.close()
    kept = open_store(Settings(_env_file=None, careerbot_db=path))  # 90 days: kept
    assert kept.get_ask("a1") is not None
    kept.close()
    purged = open_store(Settings(_env_file=None, careerbot_db=path, careerbot_retention_days=7))
    assert purged.get_ask("a1") is None  # purged at start-up
    purged.close()


def test_an_old_database_is_migrated_with_its_votes(tmp_path: Path) -> None:
    """A version-1 database (before asks existed) upgrades in place; old votes keep working."""
    import sqlite3

    from bot.store import sql

    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    conn.execute(sql.CREATE_VERSION_TABLE)
    for statement in sql.MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute(sql.WRITE_VERSION, (1,))
    conn.execute(
        "INSERT INTO votes VALUES ('slack', 'C1:1.0', 'U1', 'down', 'old?', '[\"doc#1\"]', '[1.0]', 'C1', ?)",
        (NOW.timestamp(),),
    )
    conn.commit()
    conn.close()
    store = open_url(str(path))
    old = store.get_vote("slack", "C1:1.0", "U1")
    assert old is not None and old.ask_id is None and old.reason is None
    assert store.set_vote_reason("slack", "C1:1.0", "U1", "wrong") is True
    assert store.insight(NOW - timedelta(days=1), NOW + timedelta(days=1)).downvoted_passages == [
        ("doc#1", 1)
    ]
    store.close()
