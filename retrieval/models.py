"""Pydantic models at the engine's boundary: documents in, answers out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from retrieval.gate import GateFigures


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


class ConceptExplanation(BaseModel):
    """One concept of a question as --explain shows it."""

    model_config = ConfigDict(frozen=True)

    label: str
    kind: str  # corpus | absent | noise
    weight: float  # information in general English (the gate's weight)
    idf: float | None  # corpus idf; None when the corpus lacks it (no passage, no title)


class PartExplanation(BaseModel):
    """Why one question (or one part of it) was answered or refused."""

    model_config = ConfigDict(frozen=True)

    text: str
    cleaned: str
    removed: tuple[str, ...] = ()
    rewritten: tuple[tuple[str, str], ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    concepts: tuple[ConceptExplanation, ...] = ()
    gate: GateFigures


class Explanation(BaseModel):
    """The engine's reasoning for an answer: the whole question, and each part of a multi-part one."""

    model_config = ConfigDict(frozen=True)

    whole: PartExplanation
    parts: tuple[PartExplanation, ...] = ()


class Answer(BaseModel):
    """What the engine says to a question. `answered` is False when nothing relevant was found."""

    model_config = ConfigDict(frozen=True)

    question: str
    answered: bool
    hits: tuple[Hit, ...] = ()
    explanation: Explanation | None = None
    # When answered is False: the corpus's own sentence and example questions (careerbot.yaml).
    no_answer: str | None = None
    examples: tuple[str, ...] = ()

    def to_public_json(self) -> dict[str, Any]:
        """The stable JSON shape of `careerbot ask --json` (plus "explain" with --explain)."""
        out: dict[str, Any] = {
            "question": self.question,
            "answered": self.answered,
            "hits": [
                {"text": h.text, "score": h.score, "doc_id": h.doc_id, "title": h.title, "url": h.url}
                for h in self.hits
            ],
        }
        if self.explanation is not None:
            out["explain"] = self.explanation.model_dump(mode="json")
        return out


class OverviewItem(BaseModel):
    """One aspect of the MLE-vs-SWE overview (e.g. "Responsibilities") and its best passage."""

    model_config = ConfigDict(frozen=True)

    aspect: str
    hit: Hit
