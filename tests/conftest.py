"""Shared fixtures: a real PostgreSQL server for the whole session, started here (tests/pg.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.pg import Cluster, PostgresUnavailable, create_database, start_cluster

_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throwaway server per test session; fails (never skips) when PostgreSQL can't start."""
    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL could not start: {exc}", pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """postgresql://postgres@/tN?host=/tmp/...: an empty database of its own for one test."""
    return create_database(postgres_cluster, f"t{next(_databases)}")


@pytest.fixture
def private_postgres() -> Iterator[Cluster]:
    """A server of this test's own, which the test may halt() and resume() (the database down)."""
    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL could not start: {exc}", pytrace=False)
    yield cluster
    cluster.stop()
