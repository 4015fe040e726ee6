"""Shared fixtures: a real PostgreSQL server for the whole session (started here, not by hand)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.pg import Cluster, PostgresUnavailable, create_database, start_cluster

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL could not start: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """A URL of an empty database of its own for one test."""
    return create_database(postgres_cluster, f"t{next(_counter)}")
