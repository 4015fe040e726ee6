"""Pydantic models at the engine's boundary: documents in, answers out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Document(BaseModel):
    """One source document with the metadata shown beside every quote."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    text: str
    url: str | None = None
    authors: tuple[str, ...] = ()
    site: str | None = None
    source: str = Field(default="", description="where it was loaded from (file, or file:line)")


class Passage(BaseModel):
    """A chat-sized run of whole sentences from one document."""

    model_config = ConfigDict(frozen=True)

    id: str  # "<doc_id>#<n>", stable for a given corpus
    doc_id: str
    section: str | None = None
    text: str


class Hit(BaseModel):
    """A passage returned for a question, with its source."""

    model_config = ConfigDict(frozen=True)

    passage_id: str
    doc_id: str
    text: str
    score: float
    title: str
    url: str | None = None
    authors: tuple[str, ...] = ()
    site: str | None = None
    section: str | None = None


class Answer(BaseModel):
    """What the engine says to a question. `answered` is False when nothing relevant was found."""

    model_config = ConfigDict(frozen=True)

    question: str
    answered: bool
    hits: tuple[Hit, ...] = ()

    def to_public_json(self) -> dict[str, Any]:
        """The stable JSON shape of `careerbot ask --json`."""
        return {
            "question": self.question,
            "answered": self.answered,
            "hits": [
                {"text": h.text, "score": h.score, "doc_id": h.doc_id, "title": h.title, "url": h.url}
                for h in self.hits
            ],
        }


class OverviewItem(BaseModel):
    """One aspect of the MLE-vs-SWE overview (e.g. "Responsibilities") and its best passage."""

    model_config = ConfigDict(frozen=True)

    aspect: str
    hit: Hit
