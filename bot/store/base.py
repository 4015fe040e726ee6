"""The store interface: the small state every front end shares.

Two implementations: SQLite (default, one file in WAL mode) and PostgreSQL
(DATABASE_URL). Both keep the same contract, tested by tests/store/.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from bot.errors import StoreError as StoreError  # re-exported: one family, in bot/errors.py

Vote = Literal["up", "down"]

# Slack's last retry comes about five minutes after the first delivery; keep claims twice that.
CLAIM_TTL_SECONDS = 600


class VoteRecord(BaseModel):
    """One person's vote on one answer message."""

    model_config = ConfigDict(frozen=True)

    platform: str  # "slack" | "discord"
    answer_key: str  # the answer message: "channel:ts" on Slack, the message id on Discord
    user: str
    vote: Vote
    question: str
    passage_ids: tuple[str, ...] = ()
    scores: tuple[float, ...] = ()
    channel: str | None = None


class FeedbackTotals(BaseModel):
    up: int
    down: int
    down_rate: float  # down / (up + down), 0.0 when no votes
    downvoted_questions: list[str]
    unanswered_questions: list[str]


class ThreadState(BaseModel):
    """A conversation the bot follows: a Slack thread, a Discord thread or reply chain.

    `answers` counts the follow-ups answered without a mention; `shown` is every passage
    already shown in the conversation (never shown there again).
    """

    model_config = ConfigDict(frozen=True)

    first_question: str
    shown: tuple[str, ...] = ()
    answers: int = 0
    updated_at: float = 0.0  # epoch seconds of the last answer


class Store(Protocol):
    """Shared state. Every method is atomic and safe from many processes at once."""

    def claim_event(self, key: str, now: datetime | None = None) -> bool:
        """True for the first caller with this key (within CLAIM_TTL_SECONDS), False for duplicates."""

    def record_vote(self, vote: VoteRecord, now: datetime | None = None) -> None:
        """Upsert: one row per (platform, answer_key, user); a later click replaces the vote.

        `now` is the click time; a click older than the stored one (delivered late, by another
        worker) does not overwrite it. Raises StoreError when the database can't be written.
        """

    def get_vote(self, platform: str, answer_key: str, user: str) -> VoteRecord | None:
        """This person's stored vote on this answer, or None."""

    def feedback_totals(self) -> FeedbackTotals:
        """Totals for `careerbot feedback`."""

    def claim_welcome(self, platform: str, user: str) -> bool:
        """True the first time for this person: post the welcome. False when already welcomed."""

    def release_welcome(self, platform: str, user: str) -> None:
        """Undo a claim after the welcome failed to post, so a later join tries again."""

    def log_unanswered(self, platform: str, question: str, now: datetime | None = None) -> None:
        """Remember a question the corpus had no answer for."""

    def get_thread(self, platform: str, thread_key: str) -> ThreadState | None:
        """The followed conversation's state, or None when the bot never answered there."""

    def save_thread(self, platform: str, thread_key: str, state: ThreadState) -> None:
        """Create or replace a followed conversation's state."""

    def link_thread_message(self, platform: str, message_key: str, thread_key: str) -> None:
        """Remember that one of our answer messages belongs to a conversation (Discord reply chains)."""

    def thread_of_message(self, platform: str, message_key: str) -> str | None:
        """The conversation an answer message of ours belongs to, or None."""

    def save_assistant_context(self, channel: str, thread_ts: str, context: dict) -> None:
        """Slack's assistant thread context (the channel the person is viewing), kept by us."""

    def get_assistant_context(self, channel: str, thread_ts: str) -> dict | None:
        """The saved assistant thread context, or None."""

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete event claims older than CLAIM_TTL_SECONDS; returns how many."""

    def close(self) -> None:
        """Release connections."""
