"""SQLite store: one file in WAL mode, correct for any number of processes on one host.

Each process and thread opens its own connection on first use, so the store survives
gunicorn's fork and Bolt's listener threads (an SQLite connection must never cross a fork).
Every write is one statement in its own transaction; BEGIN IMMEDIATE takes the write lock up
front, and the busy timeout makes concurrent writers queue instead of failing with
"database is locked".
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.store import sql
from bot.store.base import StoreError
from bot.store.common import SQLStore

BUSY_TIMEOUT_MS = 30_000
MIN_SQLITE = (3, 35, 0)  # INSERT ... RETURNING

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
        self._pid = os.getpid()
        self._connections: list[sqlite3.Connection] = []
        self._migrate()

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection in this process, opened on first use."""
        self._forget_parent_connections()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            try:
                # check_same_thread=False only so close() may close every thread's connection.
                conn = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
                )
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL, much faster
            except sqlite3.Error as exc:
                raise StoreError(
                    f"cannot open the SQLite database {self.path} (CAREERBOT_DB): {exc}"
                ) from None
            self._local.conn, self._local.pid = conn, os.getpid()
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
                self._pid = os.getpid()

    def _execute(
        self, statement: str, params: Sequence[Any] = (), fetch: bool = False, write: bool = True
    ) -> list[tuple]:
        conn = self._connection()
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
            raise StoreError(f"SQLite database {self.path} (CAREERBOT_DB): {exc}") from None
        return rows if fetch else []

    def _migrate(self) -> None:
        """Create or upgrade the schema; a read-only but current database opens fine."""
        conn = self._connection()
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
        """Close every connection this process opened (any thread's)."""
        self._forget_parent_connections()
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()
