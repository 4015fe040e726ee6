"""The insight page with many stored questions: seeds a store, then times GET /insight.

    python -m bench.insight                    # 100,000 questions on SQLite, 30 and 90 days
    python -m bench.insight --questions 10000 --database-url postgresql://...

The bar: the page answers in under 200 ms for 100,000 stored questions (CPU p95 on SQLite,
which works in this process; wall p95 on PostgreSQL, whose server does the work). This is a
bench, not a test: tests/insight/ checks that a 1,000-question seed (the same `seed()`) renders
correctly, never how fast; tests/store/test_insight_counts.py that the counts the page reads
equal a recount.

`seed()` is deterministic (a fixed random seed): questions over the last `days` days on
both platforms and several entry points, three in four answered, votes with 👎 reasons,
"That answers it", hand-offs (half resolved) and a few unanswered groups, one of them a
`<script>` question that must stay text.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import DOWN_REASONS, AskRecord, Handoff, Store, VoteRecord

SCRIPT_QUESTION = '<script>document.title="pwned";window.pwned=1</script> how do I <b>negotiate</b>?'

ENTRIES = {"slack": ("mention", "dm", "command", "example"), "discord": ("command", "mention", "dm")}
ANSWERED = (
    ("What does an ML engineer do day to day?", "day ml engineer"),
    ("How is an ML engineer different from a software engineer?", "differ engineer ml softwar"),
    ("Will ML engineers need to learn DevOps?", "devop engineer learn ml"),
    ("Do ML engineers write tests?", "engineer ml test write"),
)
UNANSWERED = (
    ("When does the cafeteria open?", "cafeteria open"),
    ("What time is lunch?", "lunch time"),
    ("Who won the match last night?", "match night won"),
    ("How do I reset my VPN password?", "password reset vpn"),
    ("Tell me a joke", "joke tell"),
    (SCRIPT_QUESTION, "negoti script"),
)
PASSAGES = tuple(f"doc-{c}#{n}" for c in "abcdef" for n in range(1, 6))


@dataclass
class Seeded:
    """What was seeded, so a test can check the page against it."""

    asks: list[tuple[AskRecord, datetime]] = field(default_factory=list)
    votes: list[tuple[VoteRecord, datetime]] = field(default_factory=list)
    marks: list[tuple[str, str, datetime]] = field(default_factory=list)
    handoffs: list[tuple[Handoff, datetime, bool]] = field(default_factory=list)  # resolved?


def plan(questions: int, now: datetime, days: int = 30, seed: int = 14) -> Seeded:
    """The records to store (nothing stored yet)."""
    rng = random.Random(seed)
    out = Seeded()
    span = days * 86400 - 60
    # Ask ids sort by time, as new_ask_id() makes them in the bot.
    times = sorted(now - timedelta(seconds=rng.uniform(0, span)) for _ in range(questions))
    for n, at in enumerate(times):
        platform = "slack" if rng.random() < 0.7 else "discord"
        entry = rng.choice(ENTRIES[platform])
        user = f"U{rng.randrange(questions // 4 + 1):05d}"
        answered = rng.random() < 0.75
        ask_id = f"ask{n:07d}"
        if answered:
            question, concepts = rng.choice(ANSWERED)
            passages = tuple(rng.sample(PASSAGES, 3))
        else:
            # A skewed mix, so the groups have a clear order (lunch first...).
            question, concepts = UNANSWERED[min(int(rng.expovariate(0.6)), len(UNANSWERED) - 1)]
            passages = ()
        ask = AskRecord(
            ask_id=ask_id,
            platform=platform,
            entry=entry,
            question=question,
            answered=answered,
            hits=len(passages),
            passage_ids=passages,
            concepts=concepts,
            channel="C1",
            user=user,
        )
        out.asks.append((ask, at))
        roll = rng.random()
        if answered and roll < 0.2:
            kind = "up" if rng.random() < 0.7 else "down"
            reason = rng.choice([*DOWN_REASONS, None]) if kind == "down" else None
            vote = VoteRecord(
                platform=platform,
                answer_key=f"C1:{n}.0",
                user=user,
                vote=kind,  # type: ignore[arg-type]
                question=question,
                passage_ids=passages,
                scores=(1.0,) * len(passages),
                channel="C1",
                ask_id=ask_id,
                reason=reason,
            )
            out.votes.append((vote, at + timedelta(seconds=30)))
        elif answered and roll < 0.3:
            out.marks.append((ask_id, user, at + timedelta(seconds=20)))
        if 0.3 <= roll < 0.35:
            handoff = Handoff(
                handoff_id=f"h{n:07d}",
                platform=platform,
                ask_id=ask_id,
                channel="C1",
                question=question,
                asker=user,
                helpers=("group:S1",),
            )
            out.handoffs.append((handoff, at + timedelta(seconds=40), rng.random() < 0.5))
    return out


def store_seed(store: Store, seeded: Seeded) -> None:
    """Store through the Store interface (what the bot does; fine for a few thousand rows)."""
    for ask, at in seeded.asks:
        store.record_ask(ask, now=at)
    for vote, at in seeded.votes:
        store.record_vote(vote, now=at)
    for ask_id, user, at in seeded.marks:
        store.mark_answered(ask_id, user, now=at)
    for handoff, at, resolved in seeded.handoffs:
        store.open_handoff(handoff, now=at)
        if resolved:
            store.resolve_handoff(handoff.handoff_id, "U-helper", now=at + timedelta(hours=1))


def seed(store: Store, questions: int, now: datetime, days: int = 30) -> Seeded:
    seeded = plan(questions, now, days)
    store_seed(store, seeded)
    return seeded


def _bulk(store: Store, seeded: Seeded) -> None:
    """The same rows in a few big transactions (100,000 one-row transactions take minutes)."""
    from bot.store import sql
    from bot.store.common import _day
    from bot.store.postgres import PostgresStore
    from bot.store.sqlite import SQLiteStore

    ask_rows = [
        (
            a.ask_id,
            a.platform,
            a.entry,
            a.channel,
            a.user,
            a.question,
            a.concepts,
            int(a.answered),
            a.hits,
            json.dumps(list(a.passage_ids)),
            at.timestamp(),
            _day(at.timestamp()),
        )
        for a, at in seeded.asks
    ]
    vote_rows = [
        (
            v.platform,
            v.answer_key,
            v.user,
            v.vote,
            v.question,
            json.dumps(list(v.passage_ids)),
            json.dumps(list(v.scores)),
            v.channel,
            at.timestamp(),
            v.ask_id,
            v.reason,
            None,
        )
        for v, at in seeded.votes
    ]
    mark_rows = [(ask_id, user, at.timestamp()) for ask_id, user, at in seeded.marks]
    handoff_rows = [
        (
            h.handoff_id,
            h.platform,
            h.ask_id,
            h.channel,
            h.question,
            h.asker,
            json.dumps(list(h.helpers)),
            at.timestamp(),
        )
        for h, at, _ in seeded.handoffs
    ]
    resolved = [
        ((at + timedelta(hours=1)).timestamp(), "U-helper", h.handoff_id) for h, at, r in seeded.handoffs if r
    ]
    batches = [
        (sql.RECORD_ASK.replace("RETURNING ask_id", ""), ask_rows),
        (sql.UPSERT_VOTE, vote_rows),
        (sql.MARK_ANSWERED.replace("RETURNING user_id", ""), mark_rows),
        (sql.OPEN_HANDOFF, handoff_rows),
        (sql.RESOLVE_HANDOFF.replace("RETURNING handoff_id", ""), resolved),
    ]
    if isinstance(store, SQLiteStore):
        conn = store._connection()
        conn.execute("BEGIN IMMEDIATE")
        for statement, rows in batches:
            conn.executemany(statement, rows)
        conn.execute("COMMIT")
    elif isinstance(store, PostgresStore):
        with store._get_pool().connection() as conn, conn.transaction(), conn.cursor() as cur:
            for statement, rows in batches:
                cur.executemany(statement.replace("?", "%s"), rows)
    else:
        store_seed(store, seeded)
        return
    # Rows only so far: the counts the page reads, as the store keeps them when rows come one by one.
    store.recount()
    if isinstance(store, PostgresStore):
        # What autovacuum does soon after a load (planner statistics, the visibility map that
        # lets a count read an index alone): the steady state of a live database.
        import psycopg

        with psycopg.connect(store.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def _timings(get: object, runs: int) -> Iterator[tuple[float, float]]:
    """(wall ms, CPU ms) per request. The work is one thread's, so CPU time is what the wall
    time would be on an idle core: on a shared, loaded machine the wall time is mostly waiting."""
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        get()  # type: ignore[operator]
        yield (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def measure(questions: int, days: int, runs: int, database_url: str | None = None) -> list[dict]:
    """Seed `questions` into a fresh store and time GET /insight for 30, 90 and 7 days:
    one row per period (wall and CPU p50/p95 in ms, and the bar's figure)."""
    from flask import Flask

    from bot.insight.web import create_insight_blueprint
    from bot.settings import Settings
    from bot.store.postgres import PostgresStore
    from bot.store.sqlite import SQLiteStore
    from retrieval import Engine

    token = "bench-insight-token-0123456789"
    now = datetime.now(UTC)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        store: Store = PostgresStore(database_url) if database_url else SQLiteStore(Path(tmp) / "b.db")
        started = time.perf_counter()
        _bulk(store, plan(questions, now, days))
        seeded_s = time.perf_counter() - started
        settings = Settings(_env_file=None, careerbot_insight_token=token)
        app = Flask("bench")
        app.register_blueprint(create_insight_blueprint(settings, Engine.from_corpus(), store))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        for query in ("days=30", "days=90", "days=7"):

            def get(query: str = query) -> None:
                response = client.get(f"/insight?{query}", headers=headers)
                assert response.status_code == 200, response.status_code

            get()  # first request: builds the passage map once
            measured = list(_timings(get, runs))
            wall = sorted(m[0] for m in measured)
            cpu = sorted(m[1] for m in measured)
            p95 = max(1, int(len(wall) * 0.95)) - 1
            rows.append(
                {
                    "engine": "PostgreSQL" if database_url else "SQLite",
                    "questions": questions,
                    "period": query,
                    "wall_p50": statistics.median(wall),
                    "wall_p95": wall[p95],
                    "cpu_p50": statistics.median(cpu),
                    "cpu_p95": cpu[p95],
                    # SQLite works in this process: its CPU time is what the wall time would be
                    # on an idle core. PostgreSQL works in the server's process too: only the
                    # wall time holds that.
                    "bar": wall[p95] if database_url else cpu[p95],
                    "seeded_s": seeded_s,
                }
            )
        store.close()
    return rows


def run(questions: int = 100_000, days: int = 90, runs: int = 20, database_url: str | None = None) -> str:
    """The Markdown table bench.all prints and writes into the README."""
    from bench.common import table

    rows = measure(questions, days, runs, database_url)
    return table(
        ["store", "questions", "page", "wall p50 ms", "wall p95 ms", "CPU p50 ms", "CPU p95 ms", "bar (p95)"],
        [
            (
                r["engine"],
                r["questions"],
                f"/insight?{r['period']}",
                r["wall_p50"],
                r["wall_p95"],
                r["cpu_p50"],
                r["cpu_p95"],
                f"{r['bar']:.1f} ms {'CPU' if r['engine'] == 'SQLite' else 'wall'} "
                f"({'under' if r['bar'] < 200 else 'OVER'} 200 ms)",
            )
            for r in rows
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.insight", description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90, help="the seed spreads questions over this many days")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--database-url", help="PostgreSQL (an empty database) instead of a temporary SQLite file"
    )
    args = parser.parse_args(argv)
    rows = measure(args.questions, args.days, args.runs, args.database_url)
    print(f"seeded {args.questions:,} questions in {rows[0]['seeded_s']:.1f} s ({rows[0]['engine']})")
    for r in rows:
        print(
            f"GET /insight?{r['period']:8} wall p50 {r['wall_p50']:6.1f} ms p95 {r['wall_p95']:6.1f} ms"
            f"   cpu p50 {r['cpu_p50']:6.1f} ms p95 {r['cpu_p95']:6.1f} ms"
        )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    worst = max(r["bar"] for r in rows)
    bar = "wall" if args.database_url else "CPU"
    verdict = "under" if worst < 200 else "OVER"
    print(f"bar: {bar} p95 {worst:.1f} ms, {verdict} 200 ms for {args.questions:,} questions")
    return 0 if worst < 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
