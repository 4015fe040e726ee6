"""The store interface: the small state every front end shares.

Two implementations: SQLite (default, one file in WAL mode) and PostgreSQL
(DATABASE_URL). Both keep the same contract, tested by tests/store/.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.errors import StoreError as StoreError  # re-exported: one family, in bot/errors.py

Vote = Literal["up", "down"]

# Slack's last retry comes about five minutes after the first delivery; keep claims twice that.
CLAIM_TTL_SECONDS = 600

# Question texts (asks, votes, hand-offs, 👎 reasons) are kept this many days unless
# CAREERBOT_RETENTION_DAYS says otherwise; the figures (counts) are kept.
DEFAULT_RETENTION_DAYS = 90

# The fixed choices offered with a 👎 (key stored, label shown). Keys are stable: stored data.
DOWN_REASONS: dict[str, str] = {
    "not_asked": "Not what I asked",
    "incomplete": "Not enough detail",
    "wrong": "Wrong or out of date",
    "unclear": "Hard to follow",
    "other": "Something else",
}


def new_ask_id(now: float | None = None) -> str:
    """20 hex characters that sort by time (milliseconds, then 8 random hex digits)."""
    millis = int((time.time() if now is None else now) * 1000)
    return f"{millis:012x}{secrets.token_hex(4)}"


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
    ask_id: str | None = None  # the asked question this answer was for (AskRecord.ask_id)
    reason: str | None = None  # a key of DOWN_REASONS, given after a 👎
    reason_text: str | None = None  # the person's own words with the reason (kept as long as questions)


class AskRecord(BaseModel):
    """One asked question, as the answering layer saw it: what the insight page counts."""

    model_config = ConfigDict(frozen=True)

    # Carried by the answer's buttons so votes and hand-offs find it; must sort by time
    # (new_ask_id() does): the insight page takes a group's newest ask as its example.
    ask_id: str
    platform: str  # "slack" | "discord"
    entry: str  # how it was asked: "mention", "dm", "command", "example", "share", ...
    question: str
    answered: bool
    hits: int = 0
    passage_ids: tuple[str, ...] = ()
    concepts: str = ""  # the question's concepts, space-separated and sorted: groups unanswered ones
    channel: str | None = None
    user: str | None = None  # counted on the insight page, never shown


class Handoff(BaseModel):
    """A question handed to people: the message that mentions the helpers, open until resolved."""

    model_config = ConfigDict(frozen=True)

    handoff_id: str
    platform: str
    ask_id: str | None = None
    channel: str | None = None
    question: str | None = None  # None once past the retention period
    asker: str | None = None
    helpers: tuple[str, ...] = ()  # the ids mentioned (see bot.helpers)
    created_at: float = 0.0
    resolved_at: float | None = None
    resolved_by: str | None = None

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


class DayCount(BaseModel):
    day: str  # YYYY-MM-DD (UTC)
    platform: str
    entry: str
    asked: int
    answered: int


class UnansweredGroup(BaseModel):
    concepts: str  # "" for questions with no concept the corpus could search for
    count: int
    example: str | None = None  # one question of the group (None once past retention)
    example_ask_id: str | None = None


class InsightFigures(BaseModel):
    """Everything the insight page and `careerbot feedback --json` show for one period."""

    since: datetime
    until: datetime
    asked: int = 0
    answered: int = 0
    askers: int = 0  # distinct people: a count, never their ids
    per_day: list[DayCount] = Field(default_factory=list)
    up: int = 0
    down: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)  # DOWN_REASONS key (or "none") -> count
    marked_answered: int = 0  # asks of the period someone marked "That answers it"
    auto_resolved: int = 0  # answered asks with no 👎 and no hand-off
    handoffs_open: int = 0
    handoffs_resolved: int = 0
    unanswered_groups: list[UnansweredGroup] = Field(default_factory=list)
    downvoted_passages: list[tuple[str, int]] = Field(default_factory=list)  # (passage id, 👎)

    @property
    def answered_rate(self) -> float:
        return self.answered / self.asked if self.asked else 0.0

    @property
    def auto_resolved_rate(self) -> float:
        return self.auto_resolved / self.asked if self.asked else 0.0


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

    def record_ask(self, ask: AskRecord, now: datetime | None = None) -> None:
        """Remember one asked question (a repeated ask_id is ignored)."""

    def get_ask(self, ask_id: str) -> AskRecord | None:
        """The asked question with this id, or None (unknown, or its text purged)."""

    def mark_answered(self, ask_id: str, user: str, now: datetime | None = None) -> bool:
        """ "That answers it": True the first time this person says so for this ask."""

    def set_vote_reason(
        self, platform: str, answer_key: str, user: str, reason: str, text: str | None = None
    ) -> bool:
        """Attach a 👎 reason to this person's stored 👎; False when there is no such 👎."""

    def open_handoff(self, handoff: Handoff, now: datetime | None = None) -> Handoff:
        """Store a hand-off; one per ask: a second request returns the first (compare ids)."""

    def get_handoff(self, handoff_id: str) -> Handoff | None:
        """The hand-off, or None."""

    def resolve_handoff(self, handoff_id: str, user: str, now: datetime | None = None) -> bool:
        """Mark resolved; True for the first person to do so, False when already resolved or unknown."""

    def set_channel_helpers(self, platform: str, channel: str, helpers: str | None) -> None:
        """Per-channel helpers (CAREERBOT_HELPERS syntax) overriding the default; None removes."""

    def channel_helpers(self, platform: str, channel: str) -> str | None:
        """This channel's helpers override, or None."""

    def list_channel_helpers(self) -> list[tuple[str, str, str]]:
        """Every override as (platform, channel, helpers)."""

    def purge_questions(self, now: datetime | None = None) -> int:
        """Forget question texts older than the retention period (counts stay); returns rows changed."""

    def insight(self, since: datetime, until: datetime, top: int = 20) -> InsightFigures:
        """The figures for asks (and votes, hand-offs) from `since` up to `until`.

        Asks are counted by whole UTC days (since's day up to until's, from counts kept per day
        and per person-day); votes and hand-offs by their time. A Period's since/until are
        midnights, where the two agree.
        """

    def close(self) -> None:
        """Release connections."""
