"""PostgreSQL store (DATABASE_URL): shared state for many workers, dynos or replicas.

The connection pool is created on first use in the process that uses it, so each gunicorn
worker gets its own pool after the fork; a pool inherited from a parent is never used or
closed by the child (its sockets belong to the parent). Start-up checks the URL and migrates
the schema over one direct connection, so a wrong DATABASE_URL is reported at once.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

from bot.store import sql
from bot.store.base import StoreError
from bot.store.common import SQLStore

POOL_MAX = 10  # Bolt's listener executor runs up to 10 handlers at once
CONNECT_TIMEOUT_SECONDS = 5
MIGRATION_LOCK = 0x6361_7265  # "care": serialises concurrent start-ups

# Pools inherited from a parent process: kept referenced so the child never finalizes them
# (closing an inherited libpq connection would end the parent's session).
_INHERITED: list[ConnectionPool] = []


def redact(url: str) -> str:
    """The URL without its password (in the user-info part or as a password= parameter)."""
    url = re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^:@/?#]*):.*@", r"\1:***@", url)
    return re.sub(r"(password=)[^&\s]*", r"\1***", url)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


class PostgresStore(SQLStore):
    """The Store protocol on PostgreSQL, through a psycopg connection pool."""

    def __init__(self, url: str) -> None:
        self.url = url
        netloc = re.sub(r"^[^:]*://", "", url).split("/", 1)[0].split("?", 1)[0]
        if netloc.count("@") > 1:  # libpq would take the rest of the password for a host name
            raise StoreError(f"DATABASE_URL {redact(url)} is malformed: write '@' in the password as %40")
        try:
            self._password = conninfo_to_dict(url).get("password") or ""
        except psycopg.Error as exc:
            raise StoreError(f"DATABASE_URL {redact(url)} is malformed: {self._clean(exc)}") from None
        self._pool: ConnectionPool | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._migrate()

    def _clean(self, exc: BaseException) -> str:
        """One line about `exc`, with no trace of the password."""
        line = redact(_first_line(exc))
        password = getattr(self, "_password", "")
        # Whole occurrences only, so a short password doesn't mangle words like "password".
        return re.sub(rf"(?<!\w){re.escape(password)}(?!\w)", "***", line) if password else line

    def _get_pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is not None and self._pid != os.getpid():
                _INHERITED.append(self._pool)
                self._pool = None
            if self._pool is None:
                pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=POOL_MAX,
                    kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
                    # A connection dropped by a server restart or failover is replaced, not used.
                    check=ConnectionPool.check_connection,
                    open=False,
                )
                try:
                    pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS * 2)
                except psycopg.Error as exc:  # PoolTimeout: the server is unreachable
                    pool.close()
                    raise StoreError(
                        f"DATABASE_URL {redact(self.url)} is unreachable: {self._clean(exc)}"
                    ) from None
                self._pool, self._pid = pool, os.getpid()
            return self._pool

    def _execute(
        self, statement: str, params: Sequence[Any] = (), fetch: bool = False, write: bool = True
    ) -> list[tuple]:
        try:
            with self._get_pool().connection() as conn, conn.cursor() as cur:
                cur.execute(statement.replace("?", "%s"), tuple(params))
                return cur.fetchall() if fetch else []
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL (DATABASE_URL): {self._clean(exc)}") from None

    def _migrate(self) -> None:
        """Create or upgrade the schema; a read-only but current database opens fine."""
        try:
            conn = psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_SECONDS, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"DATABASE_URL {redact(self.url)} is unreachable: {self._clean(exc)}") from None
        try:
            with conn:
                if self._version(conn) >= sql.SCHEMA_VERSION:
                    return
                with conn.transaction(), conn.cursor() as cur:
                    # Replicas starting together: one migrates, the others wait and then skip.
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                    cur.execute(sql.CREATE_VERSION_TABLE)
                    current = self._version(conn)
                    for version, statements in sql.pending_migrations(current):
                        for statement in statements:
                            cur.execute(statement)
                        cur.execute(sql.WRITE_VERSION.replace("?", "%s"), (version,))
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot prepare the database at DATABASE_URL {redact(self.url)}: {self._clean(exc)}"
            ) from None

    @staticmethod
    def _version(conn: psycopg.Connection) -> int:
        has_table = conn.execute(sql.HAS_VERSION_TABLE_POSTGRES).fetchone()
        if has_table is None or has_table[0] is None:
            return 0
        row = conn.execute(sql.READ_VERSION).fetchone()
        return int(row[0] or 0) if row else 0

    def close(self) -> None:
        """Close this process's pool; the store reopens one if used again."""
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            elif self._pool is not None:
                _INHERITED.append(self._pool)
            self._pool = None
