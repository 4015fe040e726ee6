"""SQLite store: one file in WAL mode, correct for any number of processes on one host.

Each process and thread opens its own connection on first use, so the store survives
gunicorn's fork and Bolt's listener threads (an SQLite connection must never cross a fork).
Every write is one statement in its own transaction; BEGIN IMMEDIATE takes the write lock up
front, and the busy timeout makes concurrent writers queue instead of failing with
"database is locked".

close() may come from any thread while others are mid-statement (a test's teardown, a
worker exiting): it holds new calls back, waits for the statements in progress, then closes
every connection. (Closing a connection another thread is stepping through frees what that
thread is still reading: a segfault.) A call after close() opens a fresh connection, as the
Store contract says.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bot.store import sql
from bot.store.base import StoreError
from bot.store.common import Run, SQLStore

T = TypeVar("T")

BUSY_TIMEOUT_MS = 30_000
# close() waits this long for statements in progress (each is bounded by the busy timeout).
CLOSE_WAIT_SECONDS = BUSY_TIMEOUT_MS / 1000 + 5
MIN_SQLITE = (3, 35, 0)  # INSERT ... RETURNING

# Errors after which a connection is replaced rather than reused (SQLITE_FULL, BUSY or a
# constraint leave the connection as good as it was).
_BROKEN_CONNECTION = ("SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_NOTADB", "SQLITE_CORRUPT")

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    """An exclusive flock on the database's directory: serialises recreating the file across
    processes (a lock file beside the database could itself be deleted with it)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _switch_to_wal(conn: sqlite3.Connection, path: Path) -> None:
    """PRAGMA journal_mode = WAL, retried (bounded by the busy timeout) while another connection
    holds a lock: SQLite answers SQLITE_BUSY at once, without its busy handler, when several
    connections race to switch a new file (gunicorn workers starting on a fresh database)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorname", "") != "SQLITE_BUSY" or time.monotonic() + delay > deadline:
                raise
            if delay == 0.005:
                logger.debug("SQLite database %s is locked while switching to WAL; retrying", path)
        time.sleep(delay)  # backing off from a lock, not synchronising
        delay = min(delay * 2, 0.1)


# Connections inherited from a parent process: kept referenced so the child never closes them
# (closing another process's SQLite handle can release that process's locks).
_INHERITED: list[sqlite3.Connection] = []


class SQLiteStore(SQLStore):
    """The Store protocol on one SQLite file (CAREERBOT_DB)."""

    def __init__(self, path: Path | str) -> None:
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StoreError(
                f"SQLite {sqlite3.sqlite_version} is too old (3.35+ needed): upgrade Python or set DATABASE_URL"
            )
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified when no statement is in progress
        self._in_use = 0  # calls in progress in this process (any thread)
        self._closing = False  # close() is waiting for them: new calls wait for close()
        self._pid = os.getpid()
        self._connections: list[sqlite3.Connection] = []
        self._ready = False  # True once the schema exists: from then on a missing file was deleted
        self._migrate()
        self._known_file = self._file_id()
        self._ready = True

    def _file_id(self) -> tuple[int, int] | None:
        """(device, inode) of the database file, None when it is gone."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError:  # e.g. a directory we may no longer search: let the connection report it
            return getattr(self._local, "file_id", None)
        return info.st_dev, info.st_ino

    def _check_file(self) -> None:
        """Notice a database file that was deleted or replaced since this store opened it.

        A deleted file would otherwise take every write to the unlinked inode (confirmed to the
        user, then lost) while new connections find an empty file without tables.
        """
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if getattr(self._local, "pid", None) != os.getpid():
            conn = None  # inherited across a fork: this process opens its own
        current = self._file_id()
        if conn is not None and current == self._local.file_id:
            return
        if conn is not None:
            self._drop_connection()
        if self._ready and current != self._known_file:
            self._resync()

    def _resync(self) -> None:
        """The file is gone or new: recreate it with the schema (say so loudly), or wait until
        whoever recreated it has written the schema. Serialised across processes, so one of them
        recreates it and the others only reopen."""
        with _directory_lock(self.path.parent):
            if self._file_id() is None:
                logger.error(
                    "the SQLite database %s (CAREERBOT_DB) was deleted: recreating it with an empty "
                    "schema; votes, claims and welcomes stored before are lost",
                    self.path,
                )
                # The -wal and -shm files belong to the deleted database: replayed into the new
                # one they would corrupt it.
                for suffix in ("-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(f"{self.path}{suffix}")
            self._migrate()  # creates the schema, or finds it current
            self._known_file = self._file_id()

    def _drop_connection(self) -> None:
        """Forget (and close) this thread's connection; the next call opens a fresh one."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is None:
            return
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        with contextlib.suppress(sqlite3.Error):
            conn.close()

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection in this process, opened on first use."""
        self._forget_parent_connections()
        self._check_file()
        return self._open()

    @contextlib.contextmanager
    def _in_use_connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, counted as in use until the block ends: close() waits for
        it instead of closing it under this thread's feet."""
        self._forget_parent_connections()
        with self._lock:
            if not self._idle.wait_for(lambda: not self._closing, timeout=CLOSE_WAIT_SECONDS):
                raise StoreError(f"the SQLite store {self.path} (CAREERBOT_DB) is still closing")
            self._in_use += 1
        try:
            yield self._connection()
        finally:
            with self._lock:
                self._in_use -= 1
                if self._in_use == 0:
                    self._idle.notify_all()

    def _open(self) -> sqlite3.Connection:
        """This thread's connection as it is, or a new one (creating the file if missing)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            try:
                # check_same_thread=False only so close() may close every thread's connection.
                conn = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
                )
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                _switch_to_wal(conn, self.path)
                conn.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL, much faster
            except sqlite3.Error as exc:
                raise StoreError(
                    f"cannot open the SQLite database {self.path} (CAREERBOT_DB): {exc}"
                ) from None
            self._local.conn, self._local.pid, self._local.file_id = conn, os.getpid(), self._file_id()
            with self._lock:
                self._connections.append(conn)
        return conn

    def _forget_parent_connections(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                _INHERITED.extend(self._connections)
                self._connections = []
                self._in_use = 0  # the parent's threads, mid-statement at the fork, are not here
                self._pid = os.getpid()

    def _execute(
        self, statement: str, params: Sequence[Any] = (), fetch: bool = False, write: bool = True
    ) -> list[tuple]:
        with self._in_use_connection() as conn:
            try:
                # A write takes the lock up front (no upgrade deadlock); a read needs none.
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    rows = conn.execute(statement, tuple(params)).fetchall()
                    conn.execute("COMMIT")
                except BaseException:
                    # SQLite may already have rolled back (e.g. a full disk); keep the first error.
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                if getattr(exc, "sqlite_errorname", "").startswith(_BROKEN_CONNECTION):
                    # Opened read-only, or its file failed: a fresh connection may work once the
                    # cause is fixed, this one never will.
                    self._drop_connection()
                raise StoreError(f"SQLite database {self.path} (CAREERBOT_DB): {exc}") from None
        return rows if fetch else []

    def _transaction(self, work: Callable[[Run], T]) -> T:
        """work(run) inside one write transaction: every statement it runs commits, or none."""
        with self._in_use_connection() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(
                        lambda statement, params=(): conn.execute(statement, tuple(params)).fetchall()
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                if getattr(exc, "sqlite_errorname", "").startswith(_BROKEN_CONNECTION):
                    self._drop_connection()  # as in _execute: this connection will never work again
                raise StoreError(f"SQLite database {self.path} (CAREERBOT_DB): {exc}") from None
        return result

    def _migrate(self) -> None:
        """Create or upgrade the schema; a read-only but current database opens fine."""
        conn = self._open()
        try:
            if self._version(conn) >= sql.SCHEMA_VERSION:
                return
            conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see it done
            conn.execute(sql.CREATE_VERSION_TABLE)
            current = self._version(conn)
            for version, statements in sql.pending_migrations(current):
                for statement in statements:
                    conn.execute(statement)
                conn.execute(sql.WRITE_VERSION, (version,))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(
                f"cannot prepare the SQLite database {self.path} (CAREERBOT_DB): {exc}"
            ) from None

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int:
        if conn.execute(sql.HAS_VERSION_TABLE_SQLITE).fetchone() is None:
            return 0
        return conn.execute(sql.READ_VERSION).fetchone()[0] or 0

    def close(self) -> None:
        """Close every connection this process opened (any thread's) once the statements in
        progress have finished; calls that arrive meanwhile wait, then open fresh connections."""
        self._forget_parent_connections()
        with self._lock:
            self._closing = True
            try:
                if not self._idle.wait_for(lambda: self._in_use == 0, timeout=CLOSE_WAIT_SECONDS):
                    # Never close a connection a thread is still using (the process is exiting anyway).
                    logger.warning(
                        "SQLite store %s: %d statement(s) still running after %.0f s; connections left open",
                        self.path,
                        self._in_use,
                        CLOSE_WAIT_SECONDS,
                    )
                    return
                connections, self._connections = self._connections, []
                for conn in connections:
                    conn.close()
                self._local = threading.local()
            finally:
                self._closing = False
                self._idle.notify_all()
