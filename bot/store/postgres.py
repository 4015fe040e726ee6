"""PostgreSQL store (DATABASE_URL): shared state for many workers, dynos or replicas.

The connection pool is created on first use in the process that uses it, so each gunicorn
worker gets its own pool after the fork; a pool inherited from a parent is never used or
closed by the child (its sockets belong to the parent). Start-up checks the URL and migrates
the schema over one direct connection, so a wrong DATABASE_URL is reported at once.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import unquote

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.store import sql
from bot.store.base import StoreError
from bot.store.common import Run, SQLStore

T = TypeVar("T")

POOL_MAX = 10  # Bolt's listener executor runs up to 10 handlers at once
CONNECT_TIMEOUT_SECONDS = 5  # start-up's direct connection: a wrong DATABASE_URL is reported at once
DEFAULT_TIMEOUT_SECONDS = 1.0  # a store call on the answer path (CAREERBOT_DB_TIMEOUT)
# How long the pool keeps retrying one connection in the background. Short, so that once the
# server is back the next request starts a fresh attempt instead of waiting out a long backoff.
RECONNECT_SECONDS = 5.0
# A pool whose every connection is in use (a burst of voters) is busy, not down: wait this long.
BUSY_WAIT_SECONDS = 10.0
# After a call found the server down, calls in the next DOWN_MEMORY_SECONDS wait only
# DOWN_PROBE_SECONDS for a connection (any connection the pool makes meanwhile is taken).
DOWN_MEMORY_SECONDS = 2.0
DOWN_PROBE_SECONDS = 0.1
MIGRATION_LOCK = 0x6361_7265  # "care": serialises concurrent start-ups

# Pools inherited from a parent process: kept referenced so the child never finalizes them
# (closing an inherited libpq connection would end the parent's session).
_INHERITED: list[ConnectionPool] = []


def redact(url: str) -> str:
    """The URL (or a message quoting it) without its password, in the user-info part or as a
    password= parameter, wherever it appears in the text."""
    url = re.sub(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^:@/?#\s\"']*):[^\s\"']*@", r"\1:***@", url)
    return re.sub(r"(password\s*=\s*)(?:'[^']*'|[^&\s\"']*)", r"\1***", url)


def password_candidates(url: str) -> set[str]:
    """Every form the password may take in a message: as written and percent-decoded, from the
    user-info part and from password= parameters. Our own parse, so it works on URLs libpq refuses."""
    found: set[str] = set()
    rest = re.sub(r"^[^:]*://", "", url)
    if "@" in rest:
        userinfo = rest.rsplit("@", 1)[0]  # the widest reading: up to the last '@'
        narrow = rest.split("/", 1)[0].split("?", 1)[0]
        for info in (userinfo, narrow.rsplit("@", 1)[0] if "@" in narrow else ""):
            if ":" in info:
                found.add(info.split(":", 1)[1])
    found.update(re.findall(r"password\s*=\s*([^&\s]*)", url))
    found |= {unquote(value) for value in found}
    return {value for value in found if value}


def scrub(text: str, secrets: set[str]) -> str:
    """`text` with every secret replaced by ***; short ones only as whole words, so a
    one-letter password does not mangle the message."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "***", text)
    return text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


class PostgresStore(SQLStore):
    """The Store protocol on PostgreSQL, through a psycopg connection pool."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.url = url
        self.timeout = timeout
        self._secrets = password_candidates(url)
        netloc = re.sub(r"^[^:]*://", "", url).split("/", 1)[0].split("?", 1)[0]
        if netloc.count("@") > 1:  # libpq would take the rest of the password for a host name
            raise StoreError(f"DATABASE_URL {redact(url)} is malformed: write '@' in the password as %40")
        try:
            password = conninfo_to_dict(url).get("password")
        except psycopg.Error as exc:
            raise StoreError(f"DATABASE_URL {redact(url)} is malformed: {self._clean(exc)}") from None
        if password:
            self._secrets.add(str(password))
        self._pool: ConnectionPool | None = None
        self._down_until = 0.0
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._migrate()

    def _clean(self, exc: BaseException) -> str:
        """One line about `exc`, with no trace of the password (libpq quotes a bad token or the
        whole URI in some messages)."""
        line = _first_line(exc)
        if "percent-encoded" in line:
            return "a '%' that is not a valid escape (write '%' as %25)"
        return scrub(redact(line), getattr(self, "_secrets", set()))

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
                    # libpq's connect_timeout is whole seconds, 2 at least.
                    kwargs={"autocommit": True, "connect_timeout": max(2, math.ceil(self.timeout))},
                    timeout=self.timeout,
                    reconnect_timeout=max(RECONNECT_SECONDS, self.timeout),
                    open=False,
                )
                # Not waiting for the first connection: with the server down, a call fails
                # after `timeout` like any other, and the pool connects once it is back.
                pool.open(wait=False)
                self._pool, self._pid = pool, os.getpid()
            return self._pool

    def _execute(
        self, statement: str, params: Sequence[Any] = (), fetch: bool = False, write: bool = True
    ) -> list[tuple]:
        try:
            pool = self._get_pool()
            with self._connection(pool) as conn, conn.cursor() as cur:
                cur.execute(statement.replace("?", "%s"), tuple(params))
                return cur.fetchall() if fetch else []
        except PoolTimeout:
            raise StoreError(
                f"PostgreSQL (DATABASE_URL): no connection within {self.timeout:g} s "
                "(CAREERBOT_DB_TIMEOUT): is the server down?"
            ) from None
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL (DATABASE_URL): {self._clean(exc)}") from None

    @contextmanager
    def _connection(self, pool: ConnectionPool) -> Iterator[psycopg.Connection]:
        """A working pooled connection within `timeout`, or PoolTimeout.

        Connections are checked here rather than by the pool's `check`, which sleeps a second
        after each dead one: after a server restart the first call would miss its deadline.
        Waits longer only when every connection exists and is lent out (busy, not down).
        """
        started = time.monotonic()
        # Just found down: the next calls (the vote after the claim, in one interaction) take
        # a brief look instead of a full wait, so two store calls still fit Discord's 3 s.
        budget = DOWN_PROBE_SECONDS if started < self._down_until else self.timeout
        while True:
            remaining = budget - (time.monotonic() - started)
            try:
                conn = pool.getconn(timeout=max(remaining, 0.05))
            except PoolTimeout:
                stats = pool.get_stats()
                busy = stats.get("pool_size", 0) >= POOL_MAX and stats.get("pool_available", 0) == 0
                if not busy or time.monotonic() - started >= BUSY_WAIT_SECONDS:
                    if not busy:
                        self._down_until = time.monotonic() + DOWN_MEMORY_SECONDS
                    raise
                continue
            try:
                ConnectionPool.check_connection(conn)
            except psycopg.Error:  # dropped by a restart or failover: the pool replaces it
                pool.putconn(conn)
                if time.monotonic() - started >= budget:
                    raise PoolTimeout() from None
                continue
            break
        try:
            with conn:  # commit or roll back as pool.connection() does; the pool keeps it open
                yield conn
        finally:
            pool.putconn(conn)

    def _transaction(self, work: Callable[[Run], T]) -> T:
        """work(run) inside one transaction: every statement it runs commits, or none."""
        try:
            pool = self._get_pool()
            with self._connection(pool) as conn, conn.transaction(), conn.cursor() as cur:

                def run(statement: str, params: Sequence[Any] = ()) -> list[tuple]:
                    cur.execute(statement.replace("?", "%s"), tuple(params))
                    return cur.fetchall() if cur.description is not None else []

                return work(run)
        except PoolTimeout:
            raise StoreError(
                f"PostgreSQL (DATABASE_URL): no connection within {self.timeout:g} s "
                "(CAREERBOT_DB_TIMEOUT): is the server down?"
            ) from None
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
