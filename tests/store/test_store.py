"""The store's contract, the same tests on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.feedback_report import render_feedback_report
from bot.settings import Settings
from bot.store import CLAIM_TTL_SECONDS, Store, StoreError, VoteRecord, open_store
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SQLiteStore


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database for one test: an SQLite path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("postgres_url")


def open_url(url: str) -> Store:
    return PostgresStore(url) if url.startswith("postgresql://") else SQLiteStore(url)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_url(store_url)
    yield s
    s.close()


def vote(user: str, kind: str = "up", key: str = "C1:1.0", question: str = "What is MLOps?") -> VoteRecord:
    return VoteRecord(
        platform="slack",
        answer_key=key,
        user=user,
        vote=kind,
        question=question,
        passage_ids=("doc#1", "doc#2"),
        scores=(3.5, 1.25),
        channel="C1",
    )


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_event_claims_are_once_and_expire(store: Store) -> None:
    assert store.claim_event("slack:T:C:1.0", now=NOW) is True
    assert store.claim_event("slack:T:C:1.0", now=NOW + timedelta(seconds=299)) is False  # Slack's last retry
    assert store.claim_event("slack:T:C:2.0", now=NOW) is True
    later = NOW + timedelta(seconds=CLAIM_TTL_SECONDS + 1)
    assert store.purge_expired(now=later) == 2
    assert store.claim_event("slack:T:C:1.0", now=later) is True  # a purged claim can be made again
    assert store.claim_event("slack:T:C:3.0", now=NOW) is True
    assert store.claim_event("slack:T:C:3.0", now=later) is True  # an expired claim is re-claimed


def test_votes_upsert_and_tally(store: Store) -> None:
    store.record_vote(vote("U1", "up"))
    store.record_vote(vote("U1", "down"))  # the same person changes the vote
    store.record_vote(vote("U2", "up"))
    store.record_vote(
        vote("U3", "up", key="C1:2.0", question="Why should an ML engineer understand cost functions?")
    )
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (2, 1)
    assert totals.down_rate == pytest.approx(1 / 3)
    assert totals.downvoted_questions == ["What is MLOps?"]


def test_welcomes_claim_and_release(store: Store) -> None:
    assert store.claim_welcome("slack", "U1") is True
    assert store.claim_welcome("slack", "U1") is False
    assert store.claim_welcome("discord", "U1") is True  # per platform
    store.release_welcome("slack", "U1")
    assert store.claim_welcome("slack", "U1") is True


def test_unanswered_log_and_report(store: Store) -> None:
    store.log_unanswered("slack", "Tell me a joke")
    store.log_unanswered("discord", "Tell me a joke")
    store.log_unanswered("slack", "What time is lunch?")
    store.record_vote(vote("U9", "down"))
    totals = store.feedback_totals()
    assert totals.unanswered_questions == ["Tell me a joke", "What time is lunch?"]  # most asked first
    report = render_feedback_report(totals)
    assert "votes: 1 (0 👍, 1 👎)" in report and "👎 rate: 100%" in report
    assert "- Tell me a joke" in report and "- What is MLOps?" in report


def test_schema_creation_is_idempotent(store_url: str) -> None:
    first = open_url(store_url)
    first.record_vote(vote("U1"))
    second = open_url(store_url)  # start-up again: no error, nothing lost
    assert second.feedback_totals().up == 1
    first.close()
    second.close()


def test_open_store_picks_the_engine(tmp_path: Path, postgres_url: str) -> None:
    sqlite_store = open_store(Settings(_env_file=None, careerbot_db=tmp_path / "a.db"))
    assert isinstance(sqlite_store, SQLiteStore)
    pg_store = open_store(Settings(_env_file=None, database_url=postgres_url))
    assert isinstance(pg_store, PostgresStore)
    pg_store.close()


def test_unreachable_or_malformed_database_url(tmp_path: Path) -> None:
    unreachable = "postgresql://careerbot:s3cret@/nodb?host=" + str(tmp_path)
    with pytest.raises(StoreError, match="DATABASE_URL") as info:
        open_store(Settings(_env_file=None, database_url=unreachable))
    assert "s3cret" not in str(info.value)
    with pytest.raises(StoreError, match="DATABASE_URL"):
        open_store(Settings(_env_file=None, database_url="postgresql://u:pw@/db?no_such_option=1"))


def test_read_only_database_raises_store_error_and_keeps_reading(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    writable = SQLiteStore(path)
    writable.record_vote(vote("U1"))
    writable.close()
    store = SQLiteStore(path)
    store._connection().execute("PRAGMA query_only = ON")  # what a read-only or full disk looks like to us
    with pytest.raises(StoreError, match="SQLite database"):
        store.record_vote(vote("U2"))
    assert store.feedback_totals().up == 1  # reads still work, nothing lost
    store._connection().execute("PRAGMA query_only = OFF")
    store.record_vote(vote("U2"))
    assert store.feedback_totals().up == 2


# -- many processes at once ------------------------------------------------------------------


def _voter(url: str, worker: int, people: int, barrier) -> None:  # noqa: ANN001
    store = open_url(url)
    barrier.wait()
    for n in range(people):
        store.record_vote(vote(f"U{worker}-{n}", "up" if n % 2 else "down"))
    store.close()


def _flipper(url: str, worker: int, flips: int, barrier) -> None:  # noqa: ANN001
    store = open_url(url)
    barrier.wait()
    for n in range(flips):
        store.record_vote(vote("UFLIP", "up" if (worker + n) % 2 else "down"))
    store.close()


def _claimer(url: str, kind: str, key: str, barrier, results) -> None:  # noqa: ANN001
    store = open_url(url)
    barrier.wait()
    won = store.claim_event(key) if kind == "event" else store.claim_welcome("slack", key)
    results.put(won)
    store.close()


def run_processes(target, args_for, count: int) -> None:  # noqa: ANN001
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(count)
    procs = [ctx.Process(target=target, args=(*args_for(i), barrier)) for i in range(count)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0


def test_eight_processes_fifty_voters_each(store: Store, store_url: str) -> None:
    run_processes(_voter, lambda i: (store_url, i, 50), 8)
    totals = store.feedback_totals()
    assert totals.up + totals.down == 400 and totals.up == 200


def test_one_person_flipping_leaves_one_row(store: Store, store_url: str) -> None:
    run_processes(_flipper, lambda i: (store_url, i, 25), 6)
    totals = store.feedback_totals()
    assert totals.up + totals.down == 1


@pytest.mark.parametrize("kind", ["event", "welcome"])
def test_concurrent_claims_have_one_winner(store: Store, store_url: str, kind: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    barrier = ctx.Barrier(8)
    procs = [
        ctx.Process(target=_claimer, args=(store_url, kind, "U-same", barrier, results)) for _ in range(8)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sorted(outcomes) == [False] * 7 + [True]
