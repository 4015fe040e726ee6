"""Behaviour shared by both stores; each subclass supplies `_execute` (one statement, one transaction)."""

from __future__ import annotations

import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.store import sql
from bot.store.base import CLAIM_TTL_SECONDS, FeedbackTotals, StoreError, ThreadState, VoteRecord

logger = logging.getLogger(__name__)

# A followed conversation keeps at most this many shown passage ids (the newest).
MAX_SHOWN = 200
# Questions are stored as asked, up to this many characters (Slack allows 40,000 in a message).
MAX_QUESTION_CHARS = 2000


def _epoch(now: datetime | None) -> float:
    return now.timestamp() if now else time.time()


class SQLStore(ABC):
    """Implements the Store protocol on top of one `_execute(statement, params)` call."""

    # Every this many claims, a process deletes expired ones, so the claims table stays small
    # without a separate cleanup job. A class attribute so tests can lower it.
    purge_every: int = 1000
    _claims_since_purge: int = 0

    @abstractmethod
    def _execute(
        self, statement: str, params: Sequence[Any] = (), fetch: bool = False, write: bool = True
    ) -> list[tuple]:
        """Run one statement in its own transaction; rows when fetch. Raise StoreError on failure."""

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
        self._execute(
            sql.UPSERT_VOTE,
            (
                vote.platform,
                vote.answer_key,
                vote.user,
                vote.vote,
                vote.question[:MAX_QUESTION_CHARS],
                json.dumps(list(vote.passage_ids)),
                json.dumps(list(vote.scores)),
                vote.channel,
                _epoch(now),
            ),
        )

    def get_vote(self, platform: str, answer_key: str, user: str) -> VoteRecord | None:
        rows = self._execute(sql.GET_VOTE, (platform, answer_key, user), fetch=True, write=False)
        if not rows:
            return None
        kind, question, passage_ids, scores, channel = rows[0]
        return VoteRecord(
            platform=platform,
            answer_key=answer_key,
            user=user,
            vote=kind,
            question=question,
            passage_ids=tuple(json.loads(passage_ids)),
            scores=tuple(json.loads(scores)),
            channel=channel,
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
