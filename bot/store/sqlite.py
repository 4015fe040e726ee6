"""SQLite store: one file in WAL mode, correct for any number of processes on one host.

Each process (and thread) opens its own connection lazily, so the store survives
gunicorn's fork and Bolt's listener threads. Every write is one statement in its own
transaction (BEGIN IMMEDIATE takes the write lock up front), and busy_timeout makes
concurrent writers wait instead of failing with "database is locked".
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


class SQLiteStore(SQLStore):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._migrate()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            try:
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            except sqlite3.Error as exc:
                raise StoreError(
                    f"cannot open the SQLite database {self.path} (CAREERBOT_DB): {exc}"
                ) from None
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

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
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite database {self.path}: {exc}") from None
        return rows if fetch else []

    def _migrate(self) -> None:
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql.CREATE_VERSION_TABLE)
            current = conn.execute(sql.READ_VERSION).fetchone()[0] or 0
            for version, statements in enumerate(sql.MIGRATIONS, start=1):
                if version > current:
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

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
