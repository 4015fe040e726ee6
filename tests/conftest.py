"""Shared fixtures: a real PostgreSQL server for the whole session, started here (tests/pg.py)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.pg import Cluster, PostgresUnavailable, create_database, start_cluster

_databases = itertools.count()

# CI (`.ci/run` sets HYPOTHESIS_PROFILE=ci): the same examples on every run (derandomized, no
# example database carried between runs), no deadline on a loaded 2-core machine, and the
# failing example printed so it can be reproduced from the log.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _not_shutting_down() -> Iterator[None]:
    """A test that drained an app (bot/shutdown.py) leaves no shutdown behind for the next one."""
    from bot.shutdown import SHUTTING_DOWN

    yield
    SHUTTING_DOWN.clear()


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
