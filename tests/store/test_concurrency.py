"""Many real processes at once, each with its own connections: SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Store
from tests.store import workers
from tests.store.workers import run_in_processes


def test_eight_processes_fifty_voters_each(store: Store, store_url: str) -> None:
    run_in_processes(workers.vote_for_people, [(store_url, i, 50) for i in range(8)])
    totals = store.feedback_totals()  # a "database is locked" would have failed a worker above
    assert (totals.up, totals.down) == (200, 200)


def test_one_person_flipping_from_many_processes_leaves_the_latest_click(
    store: Store, store_url: str
) -> None:
    count, flips = 6, 30
    clicks = run_in_processes(workers.flip_vote, [(store_url, i, count, flips) for i in range(count)])
    latest_index, latest_vote = max(click for worker_clicks in clicks for click in worker_clicks)
    assert latest_index == count * flips - 1
    totals = store.feedback_totals()
    assert totals.up + totals.down == 1
    assert store.get_vote("slack", "C1:1.0", "UFLIP").vote == latest_vote  # type: ignore[union-attr]


@pytest.mark.parametrize(("kind", "count"), [("event", 10), ("welcome", 8)])
def test_concurrent_claims_have_exactly_one_winner(store_url: str, kind: str, count: int) -> None:
    outcomes = run_in_processes(workers.claim_once, [(store_url, kind, "U-same") for _ in range(count)])
    assert sorted(outcomes) == [False] * (count - 1) + [True]


def test_workers_starting_together_on_a_fresh_database(store_url: str) -> None:
    """gunicorn workers all open (and so create) the schema at the same moment."""
    assert run_in_processes(workers.open_and_vote, [(store_url, i) for i in range(8)]) == [True] * 8
    store = workers.open_url(store_url)
    assert store.feedback_totals().up == 8
    store.close()


def test_store_used_before_a_fork_works_in_the_children_and_the_parent(store: Store, tmp_path: Path) -> None:
    """A store used in the parent (its connection or pool open) is inherited by forked workers:
    each child opens its own connections, and the parent's keep working afterwards."""
    store.record_vote(workers.vote("UPARENT"))
    won = run_in_processes(workers.use_inherited_store, [(store, i) for i in range(4)], start_method="fork")
    assert won == [True] * 4
    assert store.feedback_totals().up == 5  # the parent's own connection survived its children
    assert store.claim_event("fork-0") is False
