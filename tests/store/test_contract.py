"""The store's contract: the same tests on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store import CLAIM_TTL_SECONDS, Store, ThreadState, open_store, sql
from bot.store.common import MAX_QUESTION_CHARS
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SQLiteStore
from tests.store.workers import NOW, open_url, vote


def test_event_claims_are_once_and_expire(store: Store) -> None:
    assert store.claim_event("slack:T:C:1.0", now=NOW) is True
    assert store.claim_event("slack:T:C:1.0", now=NOW + timedelta(seconds=299)) is False  # Slack's last retry
    assert store.claim_event("slack:T:C:1.0", now=NOW + timedelta(seconds=CLAIM_TTL_SECONDS - 1)) is False
    assert store.claim_event("slack:T:C:2.0", now=NOW) is True
    later = NOW + timedelta(seconds=CLAIM_TTL_SECONDS + 1)
    assert store.purge_expired(now=later) == 2
    assert store.purge_expired(now=later) == 0
    assert store.claim_event("slack:T:C:1.0", now=later) is True  # a purged claim can be made again
    assert store.claim_event("slack:T:C:3.0", now=NOW) is True
    assert store.claim_event("slack:T:C:3.0", now=later) is True  # an expired claim is re-claimed in place
    assert store.claim_event("slack:T:C:3.0", now=later) is False


def test_claims_purge_themselves_as_they_go(store: Store) -> None:
    store.purge_every = 3  # type: ignore[attr-defined]
    store.claim_event("old-1", now=NOW)
    store.claim_event("old-2", now=NOW)
    later = NOW + timedelta(seconds=CLAIM_TTL_SECONDS + 1)
    store.claim_event("new", now=later)  # the third claim purges the two expired ones
    assert store.purge_expired(now=later) == 0
    assert store.claim_event("new", now=later) is False  # the live claim was kept


def test_second_click_replaces_the_vote(store: Store) -> None:
    store.record_vote(vote("U1", "up"), now=NOW)
    store.record_vote(vote("U1", "down"), now=NOW + timedelta(seconds=2))
    stored = store.get_vote("slack", "C1:1.0", "U1")
    assert stored == vote("U1", "down")  # question, passage ids, scores and channel round-trip
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (0, 1)
    assert store.get_vote("slack", "C1:1.0", "U2") is None
    assert store.get_vote("discord", "C1:1.0", "U1") is None  # votes are per platform


def test_a_late_older_click_does_not_overwrite_a_newer_one(store: Store) -> None:
    store.record_vote(vote("U1", "down"), now=NOW + timedelta(seconds=5))
    store.record_vote(vote("U1", "up"), now=NOW)  # delivered late by another worker
    assert store.get_vote("slack", "C1:1.0", "U1").vote == "down"  # type: ignore[union-attr]


def test_tallies_and_downvoted_questions(store: Store) -> None:
    store.record_vote(vote("U1", "down"))
    store.record_vote(vote("U2", "up"))
    store.record_vote(vote("U3", "up", key="C1:2.0", question="Do ML engineers write tests?"))
    store.record_vote(vote("U4", "down", key="C1:3.0", question="Is a PhD required?"))
    store.record_vote(vote("U5", "down", key="C1:3.0", question="Is a PhD required?"))
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (2, 3)
    assert totals.down_rate == pytest.approx(3 / 5)
    assert totals.downvoted_questions == ["Is a PhD required?", "What is MLOps?"]  # most 👎 first


def test_no_votes_means_a_zero_rate(store: Store) -> None:
    totals = store.feedback_totals()
    assert (totals.up, totals.down, totals.down_rate) == (0, 0, 0.0)
    assert totals.downvoted_questions == [] and totals.unanswered_questions == []


def test_text_with_placeholders_and_unicode_is_stored_as_is(store: Store) -> None:
    # PostgreSQL statements swap `?` for `%s`: values must never be touched by that.
    question = "Why 100% ML? Is `%s` or '?' or 👎 \u200b or \"quotes\"; DROP TABLE votes; --"
    store.record_vote(vote("U1", "down", question=question))
    store.log_unanswered("slack", question)
    assert store.get_vote("slack", "C1:1.0", "U1").question == question  # type: ignore[union-attr]
    totals = store.feedback_totals()
    assert totals.downvoted_questions == [question] and totals.unanswered_questions == [question]


def test_welcomes_claim_and_release(store: Store) -> None:
    assert store.claim_welcome("slack", "U1") is True
    assert store.claim_welcome("slack", "U1") is False
    assert store.claim_welcome("discord", "U1") is True  # per platform
    store.release_welcome("slack", "U1")  # the welcome failed to post
    assert store.claim_welcome("slack", "U1") is True
    store.release_welcome("slack", "nobody")  # releasing an unclaimed welcome is harmless


def test_unanswered_log_most_asked_first(store: Store) -> None:
    store.log_unanswered("slack", "What time is lunch?", now=NOW)
    store.log_unanswered("slack", "Tell me a joke")
    store.log_unanswered("discord", "Tell me a joke")
    store.log_unanswered("slack", "x" * (MAX_QUESTION_CHARS + 500))
    totals = store.feedback_totals()
    assert totals.unanswered_questions == ["Tell me a joke", "What time is lunch?", "x" * MAX_QUESTION_CHARS]


def test_schema_creation_is_idempotent(store_url: str) -> None:
    first = open_url(store_url)
    first.record_vote(vote("U1"))
    second = open_url(store_url)  # start-up again: no error, nothing lost
    assert second.feedback_totals().up == 1
    versions = second._execute("SELECT version FROM schema_version", fetch=True, write=False)  # type: ignore[attr-defined]
    assert versions == [(n,) for n in range(1, sql.SCHEMA_VERSION + 1)]
    first.close()
    second.close()


def test_closed_store_reopens_on_use(store: Store) -> None:
    store.record_vote(vote("U1"))
    store.close()
    assert store.feedback_totals().up == 1
    store.close()
    store.close()  # closing twice is harmless


def test_threads_share_one_store(store: Store) -> None:
    """Bolt's listener threads all use the app's one store object."""
    errors: list[BaseException] = []

    def voter(worker: int) -> None:
        try:
            for n in range(25):
                store.record_vote(vote(f"T{worker}-{n}", "down" if n % 5 == 0 else "up"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=voter, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (160, 40)


def test_open_store_picks_the_engine(tmp_path: Path, postgres_url: str) -> None:
    sqlite_store = open_store(Settings(_env_file=None, careerbot_db=tmp_path / "a.db"))
    assert isinstance(sqlite_store, SQLiteStore)
    assert (tmp_path / "a.db").exists()
    sqlite_store.close()
    pg_store = open_store(Settings(_env_file=None, database_url=postgres_url, careerbot_db=tmp_path / "b.db"))
    assert isinstance(pg_store, PostgresStore)
    assert pg_store.claim_event("k") is True
    assert not (tmp_path / "b.db").exists()
    pg_store.close()
    # Heroku and others hand out postgres:// URLs: the same database.
    heroku = open_store(
        Settings(_env_file=None, database_url=postgres_url.replace("postgresql://", "postgres://"))
    )
    assert heroku.claim_event("k") is False
    heroku.close()


def test_followed_threads_round_trip_and_are_replaced(store: Store) -> None:
    assert store.get_thread("slack", "C1:1.0") is None
    state = ThreadState(
        first_question="What is MLOps? 100% ?", shown=("a#1", "b#2"), answers=0, updated_at=1.5
    )
    store.save_thread("slack", "C1:1.0", state)
    assert store.get_thread("slack", "C1:1.0") == state
    assert store.get_thread("discord", "C1:1.0") is None  # per platform
    later = state.model_copy(update={"shown": ("a#1", "b#2", "c#3"), "answers": 1, "updated_at": 9.0})
    store.save_thread("slack", "C1:1.0", later)
    assert store.get_thread("slack", "C1:1.0") == later
    many = ThreadState(first_question="q", shown=tuple(f"d#{n}" for n in range(300)), updated_at=1.0)
    store.save_thread("slack", "C1:2.0", many)
    kept = store.get_thread("slack", "C1:2.0")
    assert kept is not None and kept.shown == many.shown[-200:]  # the newest are kept


def test_answer_messages_are_linked_to_their_conversation(store: Store) -> None:
    assert store.thread_of_message("discord", "900") is None
    store.link_thread_message("discord", "900", "reply:500")
    store.link_thread_message("discord", "901", "reply:500")
    assert store.thread_of_message("discord", "900") == "reply:500"
    assert store.thread_of_message("discord", "901") == "reply:500"
    assert store.thread_of_message("slack", "900") is None
    store.link_thread_message("discord", "900", "reply:700")  # relinked, not duplicated
    assert store.thread_of_message("discord", "900") == "reply:700"


def test_assistant_thread_context_round_trips(store: Store) -> None:
    assert store.get_assistant_context("D1", "1.0") is None
    context = {"channel_id": "C9", "team_id": "T1", "enterprise_id": None}
    store.save_assistant_context("D1", "1.0", context)
    assert store.get_assistant_context("D1", "1.0") == context
    store.save_assistant_context("D1", "1.0", {"channel_id": "C10", "team_id": "T1"})
    assert store.get_assistant_context("D1", "1.0") == {"channel_id": "C10", "team_id": "T1"}
    assert store.get_assistant_context("D1", "2.0") is None


def test_a_version_1_database_is_upgraded_in_place(store_url: str) -> None:
    """A database made before follow-ups (schema 1) gains the new tables and keeps its rows."""
    old = open_url(store_url)
    # A true schema-1 database: every table dropped, then only migration 1 applied (later
    # migrations may also alter tables of migration 1, e.g. votes gaining columns).
    listing = (
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        if isinstance(old, PostgresStore)
        else "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    for (table,) in old._execute(listing, fetch=True, write=False):  # type: ignore[attr-defined]
        old._execute(f"DROP TABLE {table}")  # type: ignore[attr-defined]
    for statement in (sql.CREATE_VERSION_TABLE, *sql.MIGRATIONS[0]):
        old._execute(statement)  # type: ignore[attr-defined]
    old._execute(sql.WRITE_VERSION, (1,))  # type: ignore[attr-defined]
    old._execute(  # type: ignore[attr-defined]
        "INSERT INTO votes VALUES ('slack', 'C1:1.0', 'U1', 'up', 'What is MLOps', '[]', '[]', 'C1', 1.0)"
    )
    old.close()
    upgraded = open_url(store_url)
    assert upgraded.feedback_totals().up == 1
    upgraded.save_thread("slack", "C1:1.0", ThreadState(first_question="q", updated_at=1.0))
    assert upgraded.get_thread("slack", "C1:1.0") is not None
    upgraded.close()
