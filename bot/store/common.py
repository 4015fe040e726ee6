"""Behaviour shared by both stores; each subclass supplies `_execute` (one statement, one transaction)."""

from __future__ import annotations

import json
import logging
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.store import sql
from bot.store.base import (
    CLAIM_TTL_SECONDS,
    DEFAULT_RETENTION_DAYS,
    AskRecord,
    DayCount,
    FeedbackTotals,
    Handoff,
    InsightFigures,
    StoreError,
    ThreadState,
    UnansweredGroup,
    VoteRecord,
)

logger = logging.getLogger(__name__)

# A followed conversation keeps at most this many shown passage ids (the newest).
MAX_SHOWN = 200
# Questions are stored as asked, up to this many characters (Slack allows 40,000 in a message).
MAX_QUESTION_CHARS = 2000


T = TypeVar("T")
# One statement inside a transaction: run(statement, params) -> rows.
Run = Callable[..., list[tuple]]

# A 👎 reason's own words are a short note, not an essay (Slack's field allows as much).
MAX_REASON_CHARS = 500


def _epoch(now: datetime | None) -> float:
    return now.timestamp() if now else time.time()


def _day(epoch: float) -> str:
    """The UTC date of an epoch time, as the insight page groups by it."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


class SQLStore(ABC):
    """Implements the Store protocol on top of one `_execute(statement, params)` call."""

    # Every this many claims, a process deletes expired ones, so the claims table stays small
    # without a separate cleanup job. A class attribute so tests can lower it.
    purge_every: int = 1000
    _claims_since_purge: int = 0
    _asks_since_purge: int = 0
    # CAREERBOT_RETENTION_DAYS: open_store sets it from the settings.
    retention_days: int = DEFAULT_RETENTION_DAYS

    @abstractmethod
    def _execute(
        self, statement: str, params: Sequence[Any] = (), fetch: bool = False, write: bool = True
    ) -> list[tuple]:
        """Run one statement in its own transaction; rows when fetch. Raise StoreError on failure."""

    @abstractmethod
    def _transaction(self, work: Callable[[Run], T]) -> T:
        """work(run) in one transaction; raise StoreError on failure."""

    def claim_event(self, key: str, now: datetime | None = None) -> bool:
        at = _epoch(now)
        won = bool(self._execute(sql.CLAIM_EVENT, (key, at, at - CLAIM_TTL_SECONDS), fetch=True))
        self._claims_since_purge += 1
        if self._claims_since_purge >= self.purge_every:
            self._claims_since_purge = 0
            try:
                self.purge_expired(now)
            except StoreError:  # housekeeping only: the claim itself succeeded
                logger.warning("could not purge expired event claims", exc_info=True)
        return won

    def purge_expired(self, now: datetime | None = None) -> int:
        return len(self._execute(sql.PURGE_EVENTS, (_epoch(now) - CLAIM_TTL_SECONDS,), fetch=True))

    def record_vote(self, vote: VoteRecord, now: datetime | None = None) -> None:
        params = (
            vote.platform,
            vote.answer_key,
            vote.user,
            vote.vote,
            vote.question[:MAX_QUESTION_CHARS],
            json.dumps(list(vote.passage_ids)),
            json.dumps(list(vote.scores)),
            vote.channel,
            _epoch(now),
            vote.ask_id,
            vote.reason,
            vote.reason_text[:MAX_REASON_CHARS] if vote.reason_text else None,
        )

        def work(run: Run) -> None:
            # The ask the vote is for may change its count (a 👎 makes it not auto-resolved, a
            # change back to 👍 undoes that): the stored vote's ask too, when this click has none.
            stored = run(sql.VOTE_ASK_ID, (vote.platform, vote.answer_key, vote.user))
            asks = self._lock_asks(run, [vote.ask_id, stored[0][0] if stored else None])
            run(sql.UPSERT_VOTE, params)
            for ask_id, counted in asks.items():
                self._recount_ask(run, ask_id, counted)

        self._transaction(work)

    def get_vote(self, platform: str, answer_key: str, user: str) -> VoteRecord | None:
        rows = self._execute(sql.GET_VOTE, (platform, answer_key, user), fetch=True, write=False)
        if not rows:
            return None
        kind, question, passage_ids, scores, channel, ask_id, reason, reason_text = rows[0]
        return VoteRecord(
            platform=platform,
            answer_key=answer_key,
            user=user,
            vote=kind,
            question=question,
            passage_ids=tuple(json.loads(passage_ids)),
            scores=tuple(json.loads(scores)),
            channel=channel,
            ask_id=ask_id,
            reason=reason,
            reason_text=reason_text,
        )

    def feedback_totals(self) -> FeedbackTotals:
        counts = dict(self._execute(sql.VOTE_TOTALS, fetch=True, write=False))
        up, down = int(counts.get("up", 0)), int(counts.get("down", 0))
        return FeedbackTotals(
            up=up,
            down=down,
            down_rate=down / (up + down) if up + down else 0.0,
            downvoted_questions=[
                row[0] for row in self._execute(sql.DOWNVOTED_QUESTIONS, fetch=True, write=False)
            ],
            unanswered_questions=[
                row[0] for row in self._execute(sql.UNANSWERED_QUESTIONS, fetch=True, write=False)
            ],
        )

    def claim_welcome(self, platform: str, user: str) -> bool:
        return bool(self._execute(sql.CLAIM_WELCOME, (platform, user, time.time()), fetch=True))

    def release_welcome(self, platform: str, user: str) -> None:
        self._execute(sql.RELEASE_WELCOME, (platform, user))

    def log_unanswered(self, platform: str, question: str, now: datetime | None = None) -> None:
        self._execute(sql.LOG_UNANSWERED, (platform, question[:MAX_QUESTION_CHARS], _epoch(now)))

    def get_thread(self, platform: str, thread_key: str) -> ThreadState | None:
        rows = self._execute(sql.GET_THREAD, (platform, thread_key), fetch=True, write=False)
        if not rows:
            return None
        first_question, shown, answers, updated_at = rows[0]
        return ThreadState(
            first_question=first_question,
            shown=tuple(json.loads(shown)),
            answers=int(answers),
            updated_at=float(updated_at),
        )

    def save_thread(self, platform: str, thread_key: str, state: ThreadState) -> None:
        self._execute(
            sql.SAVE_THREAD,
            (
                platform,
                thread_key,
                state.first_question[:MAX_QUESTION_CHARS],
                json.dumps(list(state.shown[-MAX_SHOWN:])),
                state.answers,
                state.updated_at or time.time(),
            ),
        )

    def link_thread_message(self, platform: str, message_key: str, thread_key: str) -> None:
        self._execute(sql.LINK_THREAD_MESSAGE, (platform, message_key, thread_key))

    def thread_of_message(self, platform: str, message_key: str) -> str | None:
        rows = self._execute(sql.THREAD_OF_MESSAGE, (platform, message_key), fetch=True, write=False)
        return str(rows[0][0]) if rows else None

    def save_assistant_context(self, channel: str, thread_ts: str, context: dict) -> None:
        self._execute(sql.SAVE_ASSISTANT_CONTEXT, (channel, thread_ts, json.dumps(context), time.time()))

    def get_assistant_context(self, channel: str, thread_ts: str) -> dict | None:
        rows = self._execute(sql.GET_ASSISTANT_CONTEXT, (channel, thread_ts), fetch=True, write=False)
        if not rows:
            return None
        value = json.loads(rows[0][0])
        return value if isinstance(value, dict) else None

    # -- asks, resolutions, hand-offs ---------------------------------------------------------

    def record_ask(self, ask: AskRecord, now: datetime | None = None) -> None:
        at = _epoch(now)
        day = _day(at)
        row = (
            ask.ask_id,
            ask.platform,
            ask.entry,
            ask.channel,
            ask.user,
            ask.question[:MAX_QUESTION_CHARS],
            ask.concepts,
            1 if ask.answered else 0,
            ask.hits,
            json.dumps(list(ask.passage_ids)),
            at,
            day,
        )

        def work(run: Run) -> None:
            if ask.user is not None:
                run(sql.LOCK_ASK_USER, (ask.user,))
            if not run(sql.RECORD_ASK, row):
                return  # a repeated ask id: counted once
            # The day's counts, kept beside the rows so the insight page reads days, not asks.
            run(sql.COUNT_ASK_DAY, (day, ask.platform, ask.entry, 1 if ask.answered else 0))
            if not ask.answered:
                run(sql.COUNT_UNANSWERED_DAY, (day, ask.concepts, ask.ask_id))
            if ask.user is not None and run(sql.ADD_ASK_PERSON_DAY, (ask.user, day, ask.user, day)):
                run(sql.CHAIN_PREVIOUS_DAY, (day, ask.user, day, day))
            # A vote, mark or hand-off stored before its ask (not the bot's order) still counts.
            self._recount_ask(run, ask.ask_id, (day, ask.platform, ask.entry, int(ask.answered), 0, 0))

        self._transaction(work)
        # Retention runs as asks come in, like the claims purge: no separate job to forget.
        self._asks_since_purge += 1
        if self._asks_since_purge >= self.purge_every:
            self._asks_since_purge = 0
            try:
                self.purge_questions(now)
            except StoreError:  # housekeeping only: the ask itself was stored
                logger.warning("could not purge questions past the retention period", exc_info=True)

    def get_ask(self, ask_id: str) -> AskRecord | None:
        rows = self._execute(sql.GET_ASK, (ask_id,), fetch=True, write=False)
        if not rows or rows[0][4] is None:
            return None
        platform, entry, channel, user, question, concepts, answered, hits, passage_ids = rows[0]
        return AskRecord(
            ask_id=ask_id,
            platform=platform,
            entry=entry,
            channel=channel,
            user=user,
            question=question,
            concepts=concepts,
            answered=bool(answered),
            hits=hits,
            passage_ids=tuple(json.loads(passage_ids)),
        )

    def mark_answered(self, ask_id: str, user: str, now: datetime | None = None) -> bool:
        def work(run: Run) -> bool:
            asks = self._lock_asks(run, [ask_id])
            if not run(sql.MARK_ANSWERED, (ask_id, user, _epoch(now))):
                return False
            for locked, counted in asks.items():
                self._recount_ask(run, locked, counted)
            return True

        return self._transaction(work)

    @staticmethod
    def _lock_asks(run: Run, ask_ids: Sequence[str | None]) -> dict[str, tuple]:
        """Lock the stored asks among `ask_ids` (in one order, so two callers never deadlock) and
        return each one's (day, platform, entry, answered, marked, flagged) as its day counts it."""
        locked: dict[str, tuple] = {}
        for ask_id in sorted({a for a in ask_ids if a is not None}):
            rows = run(sql.LOCK_ASK, (ask_id,))
            if rows:
                locked[ask_id] = tuple(rows[0])
        return locked

    @staticmethod
    def _recount_ask(run: Run, ask_id: str, counted: tuple) -> None:
        """Bring the ask's marked/flagged flags, and its day's counts, in step with its rows."""
        day, platform, entry, answered, was_marked, was_flagged = counted
        marked, flagged = (int(v) for v in run(sql.ASK_STATE, (ask_id, ask_id, ask_id))[0])
        flagged = flagged if int(answered) else 0  # only answered asks can be auto-resolved
        if (marked, flagged) != (int(was_marked), int(was_flagged)):
            run(sql.SET_ASK_STATE, (marked, flagged, ask_id))
            run(
                sql.COUNT_ASK_STATE,
                (marked - int(was_marked), flagged - int(was_flagged), day, platform, entry),
            )

    def set_vote_reason(
        self, platform: str, answer_key: str, user: str, reason: str, text: str | None = None
    ) -> bool:
        text = (text or "").strip()[:MAX_REASON_CHARS] or None
        return bool(
            self._execute(sql.SET_VOTE_REASON, (reason, text, platform, answer_key, user), fetch=True)
        )

    def open_handoff(self, handoff: Handoff, now: datetime | None = None) -> Handoff:
        params = (
            handoff.handoff_id,
            handoff.platform,
            handoff.ask_id,
            handoff.channel,
            handoff.question[:MAX_QUESTION_CHARS] if handoff.question else None,
            handoff.asker,
            json.dumps(list(handoff.helpers)),
            _epoch(now),
        )

        def work(run: Run) -> list[tuple]:
            asks = self._lock_asks(run, [handoff.ask_id])
            run(sql.OPEN_HANDOFF, params)
            for ask_id, counted in asks.items():
                self._recount_ask(run, ask_id, counted)
            if handoff.ask_id is not None:
                return run(sql.GET_HANDOFF_FOR_ASK, (handoff.ask_id,))
            return run(sql.GET_HANDOFF, (handoff.handoff_id,))

        rows = self._transaction(work)
        if not rows:
            raise StoreError("the hand-off was not stored")
        return self._handoff(rows[0])

    def get_handoff(self, handoff_id: str) -> Handoff | None:
        rows = self._execute(sql.GET_HANDOFF, (handoff_id,), fetch=True, write=False)
        return self._handoff(rows[0]) if rows else None

    @staticmethod
    def _handoff(row: tuple) -> Handoff:
        handoff_id, platform, ask_id, channel, question, asker, helpers, created, resolved, by = row
        return Handoff(
            handoff_id=handoff_id,
            platform=platform,
            ask_id=ask_id,
            channel=channel,
            question=question,
            asker=asker,
            helpers=tuple(json.loads(helpers)),
            created_at=created,
            resolved_at=resolved,
            resolved_by=by,
        )

    def resolve_handoff(self, handoff_id: str, user: str, now: datetime | None = None) -> bool:
        return bool(self._execute(sql.RESOLVE_HANDOFF, (_epoch(now), user, handoff_id), fetch=True))

    def set_channel_helpers(self, platform: str, channel: str, helpers: str | None) -> None:
        if helpers is None:
            self._execute(sql.CLEAR_CHANNEL_HELPERS, (platform, channel))
        else:
            self._execute(sql.SET_CHANNEL_HELPERS, (platform, channel, helpers))

    def channel_helpers(self, platform: str, channel: str) -> str | None:
        rows = self._execute(sql.GET_CHANNEL_HELPERS, (platform, channel), fetch=True, write=False)
        return rows[0][0] if rows else None

    def list_channel_helpers(self) -> list[tuple[str, str, str]]:
        rows = self._execute(sql.LIST_CHANNEL_HELPERS, fetch=True, write=False)
        return [(str(platform), str(channel), str(helpers)) for platform, channel, helpers in rows]

    def purge_questions(self, now: datetime | None = None) -> int:
        cutoff = _epoch(now) - self.retention_days * 86400
        return sum(len(self._execute(statement, (cutoff,), fetch=True)) for statement in sql.PURGE_QUESTIONS)

    def recount(self) -> None:
        """Recompute every count the insight page reads from the stored rows, in one transaction
        (after a bulk load that wrote rows only; the store keeps them in step on its own)."""

        def work(run: Run) -> None:
            for statement in sql.RECOUNT:
                run(statement)

        self._transaction(work)

    def insight(self, since: datetime, until: datetime, top: int = 20) -> InsightFigures:
        window = (since.timestamp(), until.timestamp())

        def rows(statement: str, *extra: Any) -> list[tuple]:
            return self._execute(statement, (*window, *extra), fetch=True, write=False)

        # The day counts cover whole UTC days: since's day up to the day before until (or until's
        # own day when until is not a midnight); a Period's since/until are midnights.
        days = (_day(window[0]), _day(window[1] - 1e-3) if window[1] > window[0] else _day(window[0]))

        def day_rows(statement: str, *extra: Any) -> list[tuple]:
            return self._execute(statement, (*days, *extra), fetch=True, write=False)

        per_day = [
            DayCount(day=day, platform=platform, entry=entry, asked=int(n), answered=int(answered or 0))
            for day, platform, entry, n, answered in day_rows(sql.INSIGHT_PER_DAY)
        ]
        asked, answered, marked, flagged = (int(v or 0) for v in day_rows(sql.INSIGHT_ASKS)[0])
        up = down = 0
        reasons: dict[str, int] = {}
        for kind, reason, n in rows(sql.INSIGHT_VOTES):
            if kind == "up":
                up += int(n)
            else:
                down += int(n)
                reasons[reason] = reasons.get(reason, 0) + int(n)
        handoffs = dict(rows(sql.INSIGHT_HANDOFFS))
        passages: Counter[str] = Counter()
        for passage_ids, n in rows(sql.INSIGHT_DOWNVOTED_PASSAGES):
            for passage_id in dict.fromkeys(json.loads(passage_ids)):
                passages[passage_id] += int(n)
        return InsightFigures(
            since=since,
            until=until,
            asked=asked,
            answered=answered,
            askers=int(day_rows(sql.INSIGHT_ASKERS, days[1], days[1], *days)[0][0] or 0),
            per_day=per_day,
            up=up,
            down=down,
            reasons=dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
            marked_answered=marked,
            auto_resolved=answered - flagged,
            handoffs_open=int(handoffs.get("open", 0)),
            handoffs_resolved=int(handoffs.get("resolved", 0)),
            unanswered_groups=[
                UnansweredGroup(
                    concepts=concepts,
                    count=int(n),
                    example=example,
                    example_ask_id=ask_id if example is not None else None,
                )
                for concepts, n, example, ask_id in day_rows(sql.INSIGHT_UNANSWERED, top)
            ],
            downvoted_passages=sorted(passages.items(), key=lambda item: (-item[1], item[0]))[:top],
        )
