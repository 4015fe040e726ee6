"""Behaviour shared by both stores; each subclass supplies `_execute`."""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.store import sql
from bot.store.base import CLAIM_TTL_SECONDS, FeedbackTotals, VoteRecord


def _epoch(now: datetime | None) -> float:
    return now.timestamp() if now else time.time()


class SQLStore(ABC):
    """Implements the Store protocol on top of one `_execute(statement, params)` call."""

    @abstractmethod
    def _execute(
        self, statement: str, params: Sequence[Any] = (), fetch: bool = False, write: bool = True
    ) -> list[tuple]:
        """Run one statement in its own transaction; rows when fetch. Raise StoreError on failure."""

    def claim_event(self, key: str, now: datetime | None = None) -> bool:
        at = _epoch(now)
        return bool(self._execute(sql.CLAIM_EVENT, (key, at, at - CLAIM_TTL_SECONDS), fetch=True))

    def purge_expired(self, now: datetime | None = None) -> int:
        return len(
            self._execute(sql.PURGE_EVENTS + " RETURNING key", (_epoch(now) - CLAIM_TTL_SECONDS,), fetch=True)
        )

    def record_vote(self, vote: VoteRecord, now: datetime | None = None) -> None:
        self._execute(
            sql.UPSERT_VOTE,
            (
                vote.platform,
                vote.answer_key,
                vote.user,
                vote.vote,
                vote.question,
                json.dumps(list(vote.passage_ids)),
                json.dumps(list(vote.scores)),
                vote.channel,
                _epoch(now),
            ),
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
        self._execute(sql.LOG_UNANSWERED, (platform, question[:2000], _epoch(now)))
