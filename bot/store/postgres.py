"""PostgreSQL store (DATABASE_URL): shared state for many workers, dynos or replicas.

The connection pool is created lazily in the process that uses it, so gunicorn workers
each get their own pool after the fork (a pool inherited across fork would share sockets).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from bot.store import sql
from bot.store.base import StoreError
from bot.store.common import SQLStore

POOL_MAX = 8
CONNECT_TIMEOUT_SECONDS = 5
MIGRATION_LOCK = 0x6361_7265  # "care": serialises concurrent start-ups


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class PostgresStore(SQLStore):
    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: ConnectionPool | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._migrate()

    def _get_pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=POOL_MAX,
                    kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
                    open=False,
                )
                try:
                    self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS * 2)
                except Exception as exc:  # psycopg_pool raises PoolTimeout; any reason means unreachable
                    self._pool = None
                    raise StoreError(f"DATABASE_URL {redact(self.url)} is unreachable: {exc}") from None
                self._pid = os.getpid()
            return self._pool

    def _execute(
        self, statement: str, params: Sequence[Any] = (), fetch: bool = False, write: bool = True
    ) -> list[tuple]:
        try:
            with self._get_pool().connection() as conn, conn.cursor() as cur:
                cur.execute(statement.replace("?", "%s"), tuple(params))
                return cur.fetchall() if fetch else []
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {str(exc).strip().splitlines()[0]}") from None

    def _migrate(self) -> None:
        # A direct connection (not the pool, which would retry for its whole timeout) so a
        # wrong or unreachable DATABASE_URL is reported at once.
        try:
            conn = psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_SECONDS, autocommit=True)
        except psycopg.Error as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            raise StoreError(f"DATABASE_URL {redact(self.url)} is unreachable: {redact(message)}") from None
        try:
            with conn, conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                cur.execute(sql.CREATE_VERSION_TABLE)
                cur.execute(sql.READ_VERSION)
                current = cur.fetchone()[0] or 0
                for version, statements in enumerate(sql.MIGRATIONS, start=1):
                    if version > current:
                        for statement in statements:
                            cur.execute(statement)
                        cur.execute(sql.WRITE_VERSION.replace("?", "%s"), (version,))
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot prepare the database at DATABASE_URL {redact(self.url)}: {exc}"
            ) from None

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None
