"""Code the store tests run in other processes: small, importable and picklable.

Imports only the store, so a forkserver that preloads this module starts workers in
milliseconds. Each worker reports ("ok", value) or ("error", message) on a queue, so a
failure in a child shows up in the test with its message.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store import Store, StoreError, VoteRecord
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SQLiteStore

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def open_url(url: str) -> Store:
    """A store on an SQLite path or a postgresql:// URL."""
    return PostgresStore(url) if url.startswith("postgresql://") else SQLiteStore(url)


def vote(user: str, kind: str = "up", key: str = "C1:1.0", question: str = "What is MLOps?") -> VoteRecord:
    return VoteRecord(
        platform="slack",
        answer_key=key,
        user=user,
        vote=kind,  # type: ignore[arg-type]
        question=question,
        passage_ids=("doc#1", "doc#2"),
        scores=(3.5, 1.25),
        channel="C1",
    )


# -- workers: each gets (url, barrier, *args) and returns a value for the test --------------------


def vote_for_people(url: str, barrier: Any, worker: int, people: int) -> int:
    """`people` distinct people vote on the same answer, half 👍 and half 👎."""
    store = open_url(url)
    barrier.wait()
    for n in range(people):
        store.record_vote(vote(f"U{worker}-{n}", "up" if n % 2 else "down"))
    store.close()
    return people


def flip_vote(url: str, barrier: Any, worker: int, workers: int, flips: int) -> list[tuple[int, str]]:
    """One person clicks 👍/👎 many times; returns the (click time index, vote) of each click.

    Click times are unique across workers, and each worker sends its clicks in a random
    order, so commit order and click order disagree: only the latest click may survive.
    """
    rng = random.Random(worker)
    clicks = [(n * workers + worker, rng.choice(["up", "down"])) for n in range(flips)]
    rng.shuffle(clicks)
    store = open_url(url)
    barrier.wait()
    for index, kind in clicks:
        store.record_vote(vote("UFLIP", kind), now=NOW + timedelta(milliseconds=index))
    store.close()
    return clicks


def claim_once(url: str, barrier: Any, kind: str, key: str) -> bool:
    store = open_url(url)
    barrier.wait()
    won = store.claim_event(key) if kind == "event" else store.claim_welcome("slack", key)
    store.close()
    return won


def open_and_vote(url: str, barrier: Any, worker: int) -> bool:
    """Start-up race: open (and so migrate) a fresh database at the same moment as the others."""
    barrier.wait()
    store = open_url(url)
    store.record_vote(vote(f"UNEW{worker}"))
    store.close()
    return True


def use_inherited_store(store: Store, barrier: Any, worker: int) -> bool:
    """A forked child (a gunicorn worker) uses the store object it inherited from its parent."""
    barrier.wait()
    store.record_vote(vote(f"UFORK{worker}"))
    return store.claim_event(f"fork-{worker}")


# -- running them ---------------------------------------------------------------------------------


def _report(fn: Callable[..., Any], args: tuple, barrier: Any, results: Any, slot: int) -> None:
    try:
        results.put((slot, "ok", fn(args[0], barrier, *args[1:])))
    except BaseException as exc:  # reported to the test, which fails with the message
        results.put((slot, "error", f"{type(exc).__name__}: {exc}"))


def run_in_processes(
    fn: Callable[..., Any], args: list[tuple], start_method: str = "forkserver", timeout: float = 60
) -> list[Any]:
    """Run fn(args[i][0], barrier, *args[i][1:]) in len(args) processes released together.

    Returns each process's result in order; raises AssertionError naming every failure.
    """
    ctx = multiprocessing.get_context(start_method)
    barrier, results = ctx.Barrier(len(args), timeout=timeout), ctx.Queue()
    procs = [
        ctx.Process(target=_report, args=(fn, a, barrier, results, i), daemon=True)
        for i, a in enumerate(args)
    ]
    for p in procs:
        p.start()
    try:
        reports = [results.get(timeout=timeout) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    errors = [message for _, status, message in reports if status == "error"]
    assert not errors, f"{len(errors)} worker(s) failed: {errors[:3]}"
    return [value for _, _, value in sorted(reports, key=lambda r: r[0])]


def preload_forkserver() -> None:
    """Workers fork from a server that has already imported the store (fast start)."""
    multiprocessing.get_context("forkserver").set_forkserver_preload([__name__])


def probe_read_only(path: str, barrier: Any, uid: int | None) -> dict[str, Any]:
    """Open a read-only SQLite file (as `uid`, when root must drop its privileges to be refused
    a write) and report what reads and writes do."""
    if uid is not None:
        os.setgid(uid)
        os.setuid(uid)
    barrier.wait()
    store = SQLiteStore(path)
    report: dict[str, Any] = {"up_before": store.feedback_totals().up, "errors": []}
    for attempt in (
        lambda: store.record_vote(vote("UNEW")),
        lambda: store.claim_event("ro-event"),
        lambda: store.log_unanswered("slack", "anything?"),
        lambda: store.record_vote(vote("UNEW2")),
    ):
        try:
            attempt()
            report["errors"].append(None)
        except StoreError as exc:
            report["errors"].append(str(exc))
    report["up_after"] = store.feedback_totals().up
    report["vote_u1"] = store.get_vote("slack", "C1:1.0", "U1") is not None
    store.close()
    return report


def probe_read_only_period(path: str, barrier: Any, uid: int | None) -> dict[str, Any]:
    """As the file's owner (`uid`): open the store while the file is read-only, try a write,
    make the file writable again and write with the same store object (no restart)."""
    if uid is not None:
        os.setgid(uid)
        os.setuid(uid)
    barrier.wait()
    store = SQLiteStore(path)
    report: dict[str, Any] = {}
    try:
        store.record_vote(vote("UDURING"))
        report["during"] = None
    except StoreError as exc:
        report["during"] = str(exc)
    for name in (path, f"{path}-wal", f"{path}-shm"):  # the operator runs chmod u+w careerbot.db*
        if os.path.exists(name):
            os.chmod(name, 0o644)
    try:
        store.record_vote(vote("UAFTER"))
        report["after"] = None
    except StoreError as exc:
        report["after"] = str(exc)
    report["up"] = store.feedback_totals().up
    store.close()
    return report


def ask_vote_and_mark(url: str, barrier: Any, worker: int, workers: int) -> int:
    """Two people ask on four days in an order of this worker's own (so one person's asks on two
    days are recorded at once by two processes). Between those asks the worker changes its vote
    👎/👍 on one of three shared asks (`s0`..`s2`, stored beforehand), in step with the other worker
    voting on it: the ask stops being auto-resolved and becomes it again while both change their
    votes at once. It also marks the shared asks; one worker asks for a person on `s0`."""
    from bot.store import AskRecord, Handoff

    rng = random.Random(worker)
    asks: list[Callable[[], object]] = []
    store = open_url(url)
    for n in range(60):
        ask = AskRecord(
            ask_id=f"w{worker}-{n:02d}",
            platform="slack",
            entry="mention",
            question="q",
            answered=n % 3 != 0,
            user=f"U{n % 2}",
        )
        asks.append(lambda a=ask, d=(n * 7 + worker) % 4: store.record_ask(a, now=NOW + timedelta(days=d)))
    for k in range(3):
        asks.append(lambda k=k: store.mark_answered(f"s{k}", f"UM{worker}", now=NOW))
    if worker == workers - 1:
        handoff = Handoff(handoff_id=f"h{worker}", platform="slack", ask_id="s0")
        asks.append(lambda: store.open_handoff(handoff, now=NOW))
    rng.shuffle(asks)
    barrier.wait()
    for flip, step in enumerate(asks):
        clicked = vote(f"UV{worker}", "down" if flip % 2 == 0 else "up", key=f"C1:s{worker % 3}")
        store.record_vote(
            clicked.model_copy(update={"ask_id": f"s{worker % 3}"}), now=NOW + timedelta(seconds=flip)
        )
        step()
    store.close()
    return len(asks)
