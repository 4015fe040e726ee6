"""Query expansion with the domain synonym file (corpus/synonyms.txt).

A question's words (stemmed, stopwords kept) are scanned for phrases of a synonym group,
longest first, so "take over" and "day to day" match as phrases. Each match becomes a
*concept* whose alternatives are the group's other phrases; every other content word is a
concept of its own. Search scores a concept by its best phrasing in each passage, and a
passage holds a concept when it has the terms of one of its phrasings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from retrieval.analyzer import STOPWORDS, phrase_terms


class Concept(BaseModel):
    """One unit of meaning of a question: its own terms and equivalent phrasings."""

    model_config = ConfigDict(frozen=True)

    terms: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...] = ()


def _content(phrase: Sequence[str]) -> tuple[str, ...]:
    return tuple(t for t in phrase if t not in STOPWORDS)


class SynonymTable:
    """Analyzed synonym groups, looked up by phrase."""

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        self._groups = [list(g) for g in groups]
        self._alternatives: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for group in self._groups:
            phrases = {tuple(phrase_terms(p)) for p in group}
            phrases = {p for p in phrases if _content(p)}  # a phrase of stopwords only says nothing
            for phrase in phrases:
                others = {_content(p) for p in phrases - {phrase}} - {_content(phrase)}
                self._alternatives.setdefault(phrase, set()).update(others)
        self._longest = max((len(p) for p in self._alternatives), default=0)

    def groups(self) -> list[list[str]]:
        """The groups as given (saved with an index)."""
        return [list(g) for g in self._groups]

    def concepts(self, text: str) -> list[Concept]:
        """The concepts of a question, matching the longest synonym phrase at each word."""
        words = phrase_terms(text)
        out: list[Concept] = []
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                phrase = tuple(words[i : i + size])
                alternatives = self._alternatives.get(phrase)
                if alternatives is not None:
                    out.append(Concept(terms=_content(phrase), alternatives=tuple(sorted(alternatives))))
                    i += size
                    break
            else:
                if words[i] not in STOPWORDS:
                    out.append(Concept(terms=(words[i],)))
                i += 1
        return out


def query_weights(concepts: Sequence[Concept]) -> dict[str, float]:
    """Plain term weights of the concepts' own terms (repeats add up), as rank-bm25 counts them."""
    weights: dict[str, float] = {}
    for concept in concepts:
        for term in concept.terms:
            weights[term] = weights.get(term, 0.0) + 1.0
    return weights
