"""What our Slack buttons carry in `value`, as pydantic models (a click hands it back verbatim).

A vote button carries the question, passage ids and scores as compact JSON under the keys
"q", "p" and "s" (the shape already in people's messages; it must stay readable); Share and
the example buttons carry the question as plain text. Slack limits a value to 2,000 characters.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.text import truncate

VALUE_LIMIT = 2000  # Slack's limit on a button value


class VoteValue(BaseModel):
    """A vote button's value: what was asked and what was shown (for `careerbot feedback`)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, coerce_numbers_to_str=True)

    question: str = Field(default="", alias="q")
    passage_ids: tuple[str, ...] = Field(default=(), alias="p")
    scores: tuple[float, ...] = Field(default=(), alias="s")
    # The asked question's id (AskRecord.ask_id): votes, "That answers it" and hand-offs find
    # their ask by it. None on buttons from before asks were recorded.
    ask_id: str | None = Field(default=None, alias="a", max_length=64)

    def encode(self) -> str:
        """The button value: at most 2,000 characters, shortening the question if need be."""
        payload: dict = {"q": self.question, "p": list(self.passage_ids), "s": list(self.scores)}
        if self.ask_id:
            payload["a"] = self.ask_id
        value = json.dumps(payload, ensure_ascii=False)
        while len(value) > VALUE_LIMIT and payload["q"]:
            payload["q"] = payload["q"][: len(payload["q"]) // 2]
            value = json.dumps(payload, ensure_ascii=False)
        return value

    @classmethod
    def decode(cls, value: str) -> VoteValue:
        """The value read back; empty when it is not ours (an old or hand-made button)."""
        try:
            return cls.model_validate_json(value or "{}")
        except ValidationError:
            return cls()


class QuestionValue(BaseModel):
    """A Share or example-question button's value: the question, as plain text."""

    model_config = ConfigDict(frozen=True)

    question: str = ""

    def encode(self) -> str:
        return truncate(self.question, VALUE_LIMIT)

    @classmethod
    def decode(cls, value: str | None) -> QuestionValue:
        return cls(question=value or "")


class ThreadShareValue(BaseModel):
    """An "Ask careerbot" answer's Share in thread button: the question, and the thread to post in."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    question: str = Field(alias="q", min_length=1)
    channel: str = Field(alias="c", pattern=r"^[A-Z0-9]+$")
    thread_ts: str = Field(alias="t", pattern=r"^\d+(\.\d+)?$")

    def encode(self) -> str:
        """At most 2,000 characters, shortening the question if need be."""
        payload = {"q": self.question, "c": self.channel, "t": self.thread_ts}
        value = json.dumps(payload, ensure_ascii=False)
        while len(value) > VALUE_LIMIT and len(payload["q"]) > 1:
            payload["q"] = payload["q"][: len(payload["q"]) // 2]
            value = json.dumps(payload, ensure_ascii=False)
        return value

    @classmethod
    def decode(cls, value: str | None) -> ThreadShareValue | None:
        """The value read back; None when it is not ours (hand-made or damaged)."""
        try:
            return cls.model_validate_json(value or "")
        except ValidationError:
            return None
