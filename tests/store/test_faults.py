"""Faults: a bad DATABASE_URL or CAREERBOT_DB, a read-only or full database, dropped connections.

Each gives one clear StoreError line (the callers log it and tell the person), and the store
keeps working for whatever still can work.
"""

from __future__ import annotations

import os
import pwd
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from bot.settings import Settings
from bot.store import StoreError, open_store
from bot.store.postgres import PostgresStore, redact
from bot.store.sqlite import SQLiteStore
from tests.pg import Cluster, create_database
from tests.store import workers
from tests.store.workers import run_in_processes, vote


def closed_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("postgresql://careerbot:s3cret-pw@/careerbot?host={empty_dir}", "is unreachable"),
        ("postgresql://careerbot:s3cret-pw@127.0.0.1:{port}/careerbot", "is unreachable"),
        ("postgresql://careerbot:s3cret-pw@/careerbot?no_such_option=1", "is malformed"),
        ("postgresql://careerbot:s3cret@pw@127.0.0.1/careerbot", "is malformed"),
        ("postgresql://careerbot@/careerbot?host=/nonexistent&password=s3cret-pw", "is unreachable"),
        # A '%' that is not a valid escape: libpq quotes the token it could not decode.
        ("postgresql://careerbot:s3cret%zz-pw@127.0.0.1/careerbot", "is malformed"),
        ("postgresql://careerbot:s3cret%2@127.0.0.1/careerbot", "is malformed"),
        ("postgresql://careerbot:s3cret%-pw@/careerbot?host={empty_dir}", "is malformed"),
        ("postgresql://careerbot@/careerbot?host={empty_dir}&password=s3cret%zz", "is malformed"),
        # A malformed host: libpq quotes the whole URI.
        ("postgresql://careerbot:s3cret-pw@[::1/careerbot", "is malformed"),
        ("postgresql://careerbot:s3cret-pw@[zz]:5432/careerbot", "DATABASE_URL"),
        ("postgresql://careerbot:s3cret-pw@host:notaport/careerbot", "DATABASE_URL"),
        ("postgresql://careerbot:s3cret-pw@/careerbot?host={empty_dir}&port=abc", "DATABASE_URL"),
    ],
)
def test_bad_database_url_is_one_line_naming_it_without_the_password(
    url: str, kind: str, tmp_path: Path
) -> None:
    url = url.format(empty_dir=tmp_path, port=closed_tcp_port())
    with pytest.raises(StoreError) as info:
        open_store(Settings(_env_file=None, database_url=url))
    message = str(info.value)
    assert message.startswith("DATABASE_URL ") and kind in message
    assert "\n" not in message
    assert "s3cret" not in message and "***" in message


def test_bad_database_url_never_shows_the_password_from_the_cli(tmp_path: Path) -> None:
    """The same URLs through `careerbot feedback` in a real process: one line, no password."""
    for url in (
        "postgresql://careerbot:s3cret%zz-pw@127.0.0.1/careerbot",
        "postgresql://careerbot:s3cret-pw@[::1/careerbot",
    ):
        result = subprocess.run(
            [sys.executable, "-m", "bot", "feedback"],
            env={**os.environ, "DATABASE_URL": url, "CAREERBOT_DB": str(tmp_path / "x.db")},
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert result.returncode != 0
        assert "s3cret" not in result.stdout + result.stderr
        assert result.stderr.startswith("careerbot: error: DATABASE_URL ") and result.stderr.count("\n") == 1


def test_redact_hides_passwords_in_every_form() -> None:
    assert redact("postgresql://u:pa:ss@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert (
        redact("postgres://u@h/db?sslmode=require&password=x y")
        == "postgres://u@h/db?sslmode=require&password=*** y"
    )
    assert redact("postgresql://h/db") == "postgresql://h/db"


def test_unusable_careerbot_db_is_one_line_naming_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"CAREERBOT_DB") as info:
        open_store(Settings(_env_file=None, careerbot_db=tmp_path / "no" / "such" / "dir" / "careerbot.db"))
    assert "\n" not in str(info.value)


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A directory outside root's private pytest tree, writable by `nobody` (for the -wal and -shm files)."""
    path = Path(tempfile.mkdtemp(prefix="careerbot-ro-"))
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    yield path
    for child in path.iterdir():
        child.unlink()
    path.rmdir()


def test_read_only_sqlite_file_refuses_writes_and_keeps_reading(world_readable_dir: Path) -> None:
    path = world_readable_dir / "careerbot.db"
    writable = SQLiteStore(path)
    writable.record_vote(vote("U1"))
    writable.close()
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # 0444
    # Root may write any file: the probe drops to `nobody` first, in its own process.
    uid = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else None
    [report] = run_in_processes(workers.probe_read_only, [(str(path), uid)])
    assert report["up_before"] == 1 and report["up_after"] == 1 and report["vote_u1"]
    assert len(report["errors"]) == 4
    for error in report["errors"]:
        assert error is not None and "\n" not in error
        assert error.startswith(f"SQLite database {path} (CAREERBOT_DB): ") and "readonly" in error


def test_full_sqlite_database_refuses_writes_then_recovers(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "careerbot.db")
    store.record_vote(vote("U0"))
    conn = store._connection()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full: not one page more
    written, error = 0, None
    for n in range(1, 200):
        try:
            store.record_vote(vote(f"U{n}", question=f"{n} " + "long question " * 100))
            written += 1
        except StoreError as exc:
            error = str(exc)
            break
    assert error is not None and "full" in error and "\n" not in error
    assert store.feedback_totals().up == 1 + written  # what was written before is intact and readable
    with pytest.raises(StoreError, match="full"):  # and again: the store is not stuck mid-transaction
        store.record_vote(vote("UAGAIN", question="another long question " * 100))
    conn.execute(f"PRAGMA max_page_count = {pages * 100}")  # space freed
    store.record_vote(vote("UAFTER"))
    assert store.feedback_totals().up == 2 + written


def _admin(cluster: Cluster) -> psycopg.Connection:
    return psycopg.connect(cluster.url, autocommit=True)


def test_read_only_postgres_database_refuses_writes_and_keeps_reading(
    postgres_url: str, postgres_cluster: Cluster
) -> None:
    writable = PostgresStore(postgres_url)
    writable.record_vote(vote("U1"))
    writable.close()
    dbname = postgres_url.split("/")[3].split("?")[0]
    with _admin(postgres_cluster) as admin:
        admin.execute(f'ALTER DATABASE "{dbname}" SET default_transaction_read_only = on')
    store = PostgresStore(postgres_url)  # a current schema needs no write to open
    for _ in range(15):  # more failures than the pool has connections: none is lost
        with pytest.raises(StoreError, match="read-only transaction") as info:
            store.record_vote(vote("U2"))
        assert str(info.value).startswith("PostgreSQL (DATABASE_URL): ") and "\n" not in str(info.value)
    with pytest.raises(StoreError):
        store.claim_event("k")
    assert store.feedback_totals().up == 1
    store.close()


def test_postgres_connections_dropped_by_the_server_are_replaced(
    postgres_url: str, postgres_cluster: Cluster
) -> None:
    store = PostgresStore(postgres_url)
    store.record_vote(vote("U1"))
    with _admin(postgres_cluster) as admin:  # a failover or restart ends every session
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (postgres_url.split("/")[3].split("?")[0],),
        ).fetchone()[0]
    assert killed >= 1
    store.record_vote(vote("U2"))  # no error: the pool noticed and reconnected
    assert store.feedback_totals().up == 2
    store.close()


def test_sqlite_recovers_from_a_read_only_period_without_a_restart(world_readable_dir: Path) -> None:
    path = world_readable_dir / "careerbot.db"
    writable = SQLiteStore(path)
    writable.record_vote(vote("U1"))
    writable.close()
    uid = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else None
    if uid is not None:
        os.chown(path, uid, -1)  # the probe owns the file, so it may make it writable again
    path.chmod(0o444)
    [report] = run_in_processes(workers.probe_read_only_period, [(str(path), uid)])
    assert report["during"] is not None and "readonly" in report["during"]
    assert report["after"] is None  # the failed connection was replaced by a writable one
    assert report["up"] == 2


def test_a_deleted_sqlite_file_is_noticed_logged_and_recreated(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "careerbot.db"
    store = SQLiteStore(path)
    store.record_vote(vote("U1"))
    for name in ("careerbot.db", "careerbot.db-wal", "careerbot.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    with caplog.at_level("ERROR", logger="bot.store.sqlite"):
        store.record_vote(vote("U2"))  # not to the deleted inode: to a new file with the schema
        store.record_vote(vote("U3"))
    [record] = [r for r in caplog.records if "was deleted" in r.getMessage()]
    assert record.levelname == "ERROR" and str(path) in record.getMessage()
    assert path.exists()
    other = SQLiteStore(path)  # another worker, opening the path: sees the new votes
    assert other.get_vote("slack", "C1:1.0", "U2") is not None
    assert other.feedback_totals().up == 2
    other.close()
    store.close()


def test_a_deleted_sqlite_file_is_recreated_once_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "careerbot.db"
    SQLiteStore(path).close()
    stores = [SQLiteStore(path) for _ in range(2)]
    stores[0].record_vote(vote("U0"))
    path.unlink()
    # The store objects inherited by forked workers notice the deletion together.
    assert run_in_processes(workers.use_inherited_store, [(s, n) for n, s in enumerate(stores)], "fork")
    check = SQLiteStore(path)
    assert check.feedback_totals().up == 2  # both votes in one new file, neither lost
    check.close()


def _fails_fast(call: Callable[[], object], limit: float) -> str:
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        call()
    elapsed = time.monotonic() - started
    assert elapsed < limit, f"{elapsed:.1f} s: the pool waited its default 30 s"
    return str(info.value)


def test_postgres_down_fails_fast_then_recovers_without_a_restart(private_postgres: Cluster) -> None:
    url = create_database(private_postgres, "down")
    store = open_store(Settings(_env_file=None, database_url=url, careerbot_db_timeout=1.0))
    store.record_vote(vote("U1"))
    private_postgres.halt()
    for call in (
        lambda: store.record_vote(vote("U2")),
        lambda: store.claim_event("slack:E1"),
        lambda: store.log_unanswered("slack", "anything?"),
    ):
        message = _fails_fast(call, limit=2.5)  # the answer path waits about a second, not 30
        assert message.startswith("PostgreSQL (DATABASE_URL): ") and "CAREERBOT_DB_TIMEOUT" in message
    private_postgres.resume()
    deadline = time.monotonic() + 60
    while True:  # the same store object, no restart: the pool reconnects on its own
        try:
            store.record_vote(vote("U3"))
            break
        except StoreError:
            assert time.monotonic() < deadline, "the store never recovered"
    assert store.feedback_totals().up == 2
    store.close()


def test_a_store_opened_while_postgres_is_up_fails_fast_on_first_use_when_it_goes_down(
    private_postgres: Cluster,
) -> None:
    url = create_database(private_postgres, "first")
    store = PostgresStore(url, timeout=1.0)  # migrated; the pool is not open yet
    private_postgres.halt()
    _fails_fast(lambda: store.claim_event("k"), limit=2.5)
    store.close()


def test_closing_the_sqlite_store_while_a_thread_is_mid_statement_waits_for_it(tmp_path: Path) -> None:
    """close() from one thread (a fixture's teardown) while a listener thread is inside a
    transaction: close waits for it instead of closing the connection under it (which
    segfaulted once in sqlite3), the transaction commits, and the store reopens on next use."""
    import threading

    store = SQLiteStore(tmp_path / "close.db")
    inside, release, closed = threading.Event(), threading.Event(), threading.Event()
    outcome: list[object] = []

    def work(run: Callable[..., list[tuple]]) -> int:
        run(
            "INSERT INTO event_claims (key, claimed_at) VALUES ('mid-close', 1e12)"
        )  # claimed far in the future
        inside.set()
        assert release.wait(60), "the test never released the transaction"
        return run("SELECT count(*) FROM event_claims")[0][0]  # the connection is still open

    def listener() -> None:
        try:
            outcome.append(store._transaction(work))
        except BaseException as exc:  # reported to the test below
            outcome.append(exc)

    def closer() -> None:
        store.close()
        closed.set()

    worker = threading.Thread(target=listener)
    worker.start()
    assert inside.wait(60), "the transaction never started"
    closing = threading.Thread(target=closer)
    closing.start()
    # A positive signal, not a sleep: close() has started waiting, or (the bug) already returned.
    deadline = time.monotonic() + 60
    while not (getattr(store, "_closing", False) or closed.is_set()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not closed.is_set(), "close() returned while a statement was in progress"
    release.set()
    worker.join(60)
    closing.join(60)
    assert outcome == [1] and closed.is_set()
    assert store.claim_event("mid-close") is False  # reopened on use; the transaction had committed
    store.close()


def test_a_store_opening_while_another_connection_holds_a_write_lock_waits_for_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Switching a new file to WAL gets SQLITE_BUSY at once (no busy handler) while another
    connection holds a write lock, as when workers start together on a fresh database: the
    store retries until the lock is gone instead of failing to open ("database is locked")."""
    import logging
    import sqlite3
    import threading

    path = tmp_path / "fresh.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN IMMEDIATE")  # a rollback-journal file with a writer in the middle of a write
    other.execute("INSERT INTO t VALUES (1)")
    caplog.set_level(logging.DEBUG, logger="bot.store.sqlite")
    opened: list[object] = []

    def open_store() -> None:
        try:
            opened.append(SQLiteStore(path))
        except BaseException as exc:  # reported to the test below
            opened.append(exc)

    opening = threading.Thread(target=open_store)
    opening.start()
    deadline = time.monotonic() + 60  # a positive signal: the store met the lock (or failed on it)
    while not opened and not any("retrying" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the store neither met the lock nor finished opening"
        time.sleep(0.01)
    assert not opened, f"the store did not wait for the lock: {opened}"
    other.execute("COMMIT")
    opening.join(60)
    [store] = opened
    assert isinstance(store, SQLiteStore)
    assert store.claim_event("after-the-lock") is True
    store.close()
    other.close()
    reader = sqlite3.connect(path)
    assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # switched once the lock was gone
    reader.close()
