"""The insight figures come from counts the store keeps as rows arrive (per day, per person-day):
on SQLite and PostgreSQL they equal a plain recount from the records themselves, whatever the
order the records arrive in, and equal the counts rebuilt from the stored rows."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.insight import plan
from bot.insight.period import Period, parse_period
from bot.store import AskRecord, Handoff, InsightFigures, Store, VoteRecord
from bot.store.common import SQLStore
from tests.store import workers
from tests.store.workers import NOW, run_in_processes


@dataclass
class VoteState:
    vote: str
    reason: str | None
    ask_id: str | None
    passages: tuple[str, ...]
    at: datetime


@dataclass
class World:
    """What was sent to the store, and the plain recount of every figure from it."""

    asks: list[tuple[AskRecord, datetime]] = field(default_factory=list)
    clicks: list[tuple[VoteRecord, datetime]] = field(default_factory=list)
    marks: list[tuple[str, str, datetime]] = field(default_factory=list)
    handoffs: list[tuple[Handoff, datetime, bool]] = field(default_factory=list)

    def votes(self) -> dict[tuple[str, str, str], VoteState]:
        """Each person's vote on each answer after every click: the latest click wins; the same
        vote again keeps its reason (or takes the click's), a changed one has none; a click
        without an ask keeps the ask."""
        state: dict[tuple[str, str, str], VoteState] = {}
        for v, at in sorted(self.clicks, key=lambda c: c[1]):
            key = (v.platform, v.answer_key, v.user)
            old = state.get(key)
            reason = (v.reason or old.reason) if old and old.vote == v.vote else None if old else v.reason
            ask_id = v.ask_id or (old.ask_id if old else None)
            state[key] = VoteState(v.vote, reason, ask_id, v.passage_ids, at)
        return state

    def expected(self, period: Period, top: int = 20) -> dict[str, object]:
        days = set(period.days())
        inside = lambda at: period.since <= at < period.until  # noqa: E731
        asks = [a for a, at in self.asks if at.date().isoformat() in days]
        votes = [s for s in self.votes().values() if inside(s.at)]
        known = {a.ask_id for a, _ in self.asks}
        not_auto = {s.ask_id for s in self.votes().values() if s.vote == "down"} | {
            h.ask_id for h, _, _ in self.handoffs
        }
        marked = {ask_id for ask_id, _, _ in self.marks}
        per_day: Counter[tuple[str, str, str]] = Counter()
        answered_day: Counter[tuple[str, str, str]] = Counter()
        for a, at in self.asks:
            key = (at.date().isoformat(), a.platform, a.entry)
            if key[0] in days:
                per_day[key] += 1
                answered_day[key] += a.answered
        groups: Counter[str] = Counter(a.concepts for a in asks if not a.answered)
        newest = {a.concepts: a for a in sorted((a for a in asks if not a.answered), key=lambda a: a.ask_id)}
        passages: Counter[str] = Counter()
        for s in votes:
            if s.vote == "down":
                passages.update(set(s.passages))
        reasons = Counter(s.reason or "none" for s in votes if s.vote == "down")
        handoffs = [(h, resolved) for h, at, resolved in self.handoffs if inside(at)]
        return {
            "asked": len(asks),
            "answered": sum(a.answered for a in asks),
            "askers": len({a.user for a in asks if a.user is not None}),
            "per_day": sorted((*k, n, answered_day[k]) for k, n in per_day.items()),
            "up": sum(s.vote == "up" for s in votes),
            "down": sum(s.vote == "down" for s in votes),
            "reasons": dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
            "marked_answered": sum(a.ask_id in marked for a in asks),
            "auto_resolved": sum(a.answered and a.ask_id not in not_auto for a in asks),
            "handoffs_open": sum(not r for _, r in handoffs),
            "handoffs_resolved": sum(r for _, r in handoffs),
            "unanswered_groups": sorted(
                ((c, n, newest[c].question, newest[c].ask_id) for c, n in groups.items()),
                key=lambda g: (-g[1], g[0]),
            )[:top],
            "downvoted_passages": sorted(passages.items(), key=lambda item: (-item[1], item[0]))[:top],
            "unknown_asks_flagged": sorted(not_auto - known - {None}),
        }


def actual(figures: InsightFigures) -> dict[str, object]:
    return {
        "asked": figures.asked,
        "answered": figures.answered,
        "askers": figures.askers,
        "per_day": [(d.day, d.platform, d.entry, d.asked, d.answered) for d in figures.per_day],
        "up": figures.up,
        "down": figures.down,
        "reasons": figures.reasons,
        "marked_answered": figures.marked_answered,
        "auto_resolved": figures.auto_resolved,
        "handoffs_open": figures.handoffs_open,
        "handoffs_resolved": figures.handoffs_resolved,
        "unanswered_groups": [
            (g.concepts, g.count, g.example, g.example_ask_id) for g in figures.unanswered_groups
        ],
        "downvoted_passages": figures.downvoted_passages,
    }


def world(questions: int = 400, days: int = 60) -> World:
    """bench.insight's seed (both platforms, entry points, votes with reasons, marks, hand-offs),
    plus what the seed lacks: 👎 changed to 👍 and back, a second mark, a click without its ask,
    anonymous asks, a hand-off without an ask, and a vote and a mark before their ask."""
    rng = random.Random(140)
    seeded = plan(questions, NOW, days=days, seed=41)
    w = World(list(seeded.asks), list(seeded.votes), list(seeded.marks), list(seeded.handoffs))
    for vote, at in list(w.clicks):
        roll = rng.random()
        if roll < 0.25:  # changed its mind: 👍 after the 👎 (or the reverse)
            flipped = "up" if vote.vote == "down" else "down"
            w.clicks.append(
                (vote.model_copy(update={"vote": flipped, "reason": None}), at + timedelta(hours=2))
            )
        elif roll < 0.35:  # the same vote again, from an answer message without its ask id
            w.clicks.append(
                (vote.model_copy(update={"ask_id": None, "reason": None}), at + timedelta(hours=3))
            )
        elif roll < 0.4:  # 👎, then 👍, then 👎 again the next day
            w.clicks.append((vote.model_copy(update={"vote": "up", "reason": None}), at + timedelta(hours=1)))
            w.clicks.append(
                (vote.model_copy(update={"vote": "down", "reason": None}), at + timedelta(days=1))
            )
    for ask, at in w.asks[::7]:
        w.marks.append((ask.ask_id, "U-second", at + timedelta(minutes=5)))
    for n, (ask, at) in enumerate(w.asks):
        if n % 11 == 0:
            w.asks[n] = (ask.model_copy(update={"user": None}), at)
    w.handoffs.append(
        (
            Handoff(handoff_id="h-no-ask", platform="slack", question="?", helpers=()),
            NOW - timedelta(days=2),
            False,
        )
    )
    return w


def store_world(store: Store, w: World, rng: random.Random) -> None:
    """Every record through the Store interface, in a shuffled order: votes, marks and hand-offs
    before or after their ask. Each person's clicks on one answer keep the order they were made
    in (a late old click is ignored whole, its ask id too: a recount by time would not copy that)."""
    made: dict[tuple[str, str, str], list[tuple[VoteRecord, datetime]]] = {}
    for v, at in sorted(w.clicks, key=lambda c: c[1]):
        made.setdefault((v.platform, v.answer_key, v.user), []).append((v, at))

    def click(key: tuple[str, str, str]) -> None:
        vote, at = made[key].pop(0)
        store.record_vote(vote, now=at)

    def handoff(h: Handoff, at: datetime, resolved: bool) -> None:
        store.open_handoff(h, now=at)
        if resolved:
            store.resolve_handoff(h.handoff_id, "U-helper", now=at + timedelta(hours=1))

    actions: list[Callable[[], object]] = [lambda a=a, at=at: store.record_ask(a, now=at) for a, at in w.asks]
    actions += [lambda k=k: click(k) for k, clicks in made.items() for _ in clicks]
    actions += [lambda i=i, u=u, at=at: store.mark_answered(i, u, now=at) for i, u, at in w.marks]
    actions += [lambda h=h, at=at, r=r: handoff(h, at, r) for h, at, r in w.handoffs]
    rng.shuffle(actions)
    for action in actions:
        action()


def periods() -> list[Period]:
    today = NOW.date()
    return [
        parse_period(days=7, today=today),
        parse_period(days=30, today=today),
        parse_period(days=90, today=today),
        parse_period(days=1, today=today),
        # Periods that end before the newest day: the askers' second count.
        parse_period(start="2026-10-01", end="2026-10-20", today=today),
        parse_period(start="2026-11-01", end="2026-11-01", today=today),
        parse_period(start="2026-08-01", end="2026-09-01", today=today),  # before the first ask
    ]


def counts(store: Store) -> dict[str, list[tuple]]:
    assert isinstance(store, SQLStore)
    return {
        table: sorted(tuple(row) for row in store._execute(f"SELECT * FROM {table}", fetch=True, write=False))
        for table in ("ask_days", "unanswered_days", "ask_people")
    } | {
        "asks": sorted(
            tuple(row)
            for row in store._execute("SELECT ask_id, marked, flagged FROM asks", fetch=True, write=False)
        )
    }


def test_the_figures_equal_a_recount_of_what_was_stored(store: Store) -> None:
    w = world()
    store_world(store, w, random.Random(7))
    assert len(w.asks) == 400 and len(w.clicks) > 60 and len(w.handoffs) > 15
    for period in periods():
        want = w.expected(period)
        assert want.pop("unknown_asks_flagged") == []
        assert actual(store.insight(period.since, period.until)) == want, period.label()
    # The seed has something to show in the default period (a test of nothing would pass too).
    month = store.insight(*(lambda p: (p.since, p.until))(parse_period(days=30, today=NOW.date())))
    assert month.askers > 50 and month.marked_answered > 5 and month.up and month.down
    assert 0 < month.auto_resolved < month.answered < month.asked
    assert month.unanswered_groups and month.downvoted_passages and month.reasons


def test_the_counts_kept_equal_the_counts_rebuilt_from_the_rows(store: Store) -> None:
    store_world(store, world(questions=200, days=20), random.Random(3))
    kept = counts(store)
    assert all(kept.values())
    assert isinstance(store, SQLStore)
    store.recount()
    assert counts(store) == kept


def test_distinct_askers_over_any_days_recorded_in_any_order(store: Store) -> None:
    """U1 asks on days 1, 3 and 5 (twice on day 3), U2 on day 2, U3 on day 5; recorded shuffled."""
    day = lambda n: NOW + timedelta(days=n)  # noqa: E731
    asked = [("U1", 1), ("U1", 3), ("U1", 3), ("U1", 5), ("U2", 2), ("U3", 5)]
    random.Random(1).shuffle(asked)
    for n, (user, d) in enumerate(asked):
        store.record_ask(
            AskRecord(ask_id=f"a{n}", platform="slack", entry="dm", question="q", answered=True, user=user),
            now=day(d),
        )
    expected = {
        (1, 1): 1,
        (1, 5): 3,
        (2, 4): 2,
        (4, 4): 0,
        (5, 5): 2,
        (3, 3): 1,
        (2, 2): 1,
        (1, 2): 2,
        (6, 9): 0,
    }
    for (first, last), people in expected.items():
        since = (day(first) - timedelta(hours=12)).replace(hour=0)
        until = (day(last) - timedelta(hours=12)).replace(hour=0) + timedelta(days=1)
        assert store.insight(since, until).askers == people, (first, last)


def test_a_changed_vote_and_a_hand_off_move_the_auto_resolved_count(store: Store) -> None:
    store.record_ask(
        AskRecord(ask_id="a1", platform="slack", entry="dm", question="q", answered=True), now=NOW
    )
    store.record_ask(
        AskRecord(ask_id="a2", platform="slack", entry="dm", question="q", answered=False), now=NOW
    )
    window = (NOW - timedelta(hours=12), NOW + timedelta(hours=12))
    down = VoteRecord(
        platform="slack", answer_key="C1:1.0", user="U1", vote="down", question="q", ask_id="a1"
    )
    assert store.insight(*window).auto_resolved == 1
    store.record_vote(down, now=NOW)
    assert store.insight(*window).auto_resolved == 0
    store.record_vote(down.model_copy(update={"user": "U2"}), now=NOW)
    store.record_vote(down.model_copy(update={"vote": "up"}), now=NOW + timedelta(seconds=1))
    assert store.insight(*window).auto_resolved == 0  # U2's 👎 still stands
    store.record_vote(down.model_copy(update={"user": "U2", "vote": "up"}), now=NOW + timedelta(seconds=2))
    assert store.insight(*window).auto_resolved == 1
    store.record_vote(down.model_copy(update={"vote": "down"}), now=NOW)  # an old click, late: ignored
    assert store.insight(*window).auto_resolved == 1
    store.open_handoff(Handoff(handoff_id="h2", platform="slack", ask_id="a2"), now=NOW)  # unanswered
    assert store.insight(*window).auto_resolved == 1
    store.open_handoff(Handoff(handoff_id="h1", platform="slack", ask_id="a1"), now=NOW)
    assert store.insight(*window).auto_resolved == 0


def test_many_processes_asking_voting_and_marking_at_once_keep_exact_counts(
    store: Store, store_url: str
) -> None:
    """The same people ask on the same days, and change votes on and mark the same asks, from six
    processes at once: the counts kept equal a recount from the rows afterwards."""
    for k in range(3):
        store.record_ask(
            AskRecord(ask_id=f"s{k}", platform="discord", entry="dm", question="q", answered=True), now=NOW
        )
    run_in_processes(workers.ask_vote_and_mark, [(store_url, i, 6) for i in range(6)])
    kept = counts(store)
    assert len(kept["asks"]) == 3 + 6 * 60
    assert isinstance(store, SQLStore)
    store.recount()
    assert counts(store) == kept


def test_a_version_3_database_gets_its_counts_when_migrated(store: Store, store_url: str) -> None:
    """A database of before the counts (migration 3) is brought to the same figures by migration 4."""
    w = world(questions=200, days=30)
    store_world(store, w, random.Random(5))
    month = parse_period(days=30, today=NOW.date())
    before = store.insight(month.since, month.until)
    assert isinstance(store, SQLStore)
    for statement in (
        "DROP TABLE ask_people",
        "DROP TABLE ask_users",
        "ALTER TABLE asks DROP COLUMN marked",
        "ALTER TABLE asks DROP COLUMN flagged",
        "ALTER TABLE ask_days DROP COLUMN marked",
        "ALTER TABLE ask_days DROP COLUMN flagged",
        "DELETE FROM schema_version WHERE version = 4",
    ):
        store._execute(statement)
    store.close()
    migrated = workers.open_url(store_url)
    try:
        assert migrated.insight(month.since, month.until) == before
        assert actual(before) == {k: v for k, v in w.expected(month).items() if k != "unknown_asks_flagged"}
    finally:
        migrated.close()
