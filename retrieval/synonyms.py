"""Query expansion with the domain synonym file (corpus/synonyms.txt).

A question's analyzed tokens are scanned for phrases of a synonym group (longest first);
each match becomes a *concept* whose alternatives are the group's other phrases. The
alternatives are added to the query at a lower weight, and a passage satisfies the
concept when it holds the phrase itself or every token of one alternative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from retrieval.analyzer import tokenize

EXPANSION_WEIGHT = 0.5  # an alternative's terms count half: the asker's own words come first


class Concept(BaseModel):
    """One unit of meaning of a question: its own terms and equivalent phrasings."""

    model_config = ConfigDict(frozen=True)

    terms: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...] = ()


class SynonymTable:
    """Analyzed synonym groups, looked up by phrase."""

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        self._groups = [list(g) for g in groups]
        self._alternatives: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for group in self._groups:
            phrases = {tuple(tokenize(p)) for p in group}
            phrases.discard(())
            for phrase in phrases:
                self._alternatives.setdefault(phrase, set()).update(phrases - {phrase})
        self._longest = max((len(p) for p in self._alternatives), default=0)

    def groups(self) -> list[list[str]]:
        """The groups as given (saved with an index)."""
        return [list(g) for g in self._groups]

    def concepts(self, tokens: Sequence[str]) -> list[Concept]:
        """Group `tokens` into concepts, matching the longest synonym phrase at each position."""
        out: list[Concept] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                phrase = tuple(tokens[i : i + size])
                alternatives = self._alternatives.get(phrase)
                if alternatives:
                    out.append(Concept(terms=phrase, alternatives=tuple(sorted(alternatives))))
                    i += size
                    break
            else:
                out.append(Concept(terms=(tokens[i],)))
                i += 1
        return out


def query_weights(concepts: Sequence[Concept]) -> dict[str, float]:
    """Term weights for BM25: own terms 1 each (repeats add up), alternatives' new terms 0.5."""
    weights: dict[str, float] = {}
    for concept in concepts:
        for term in concept.terms:
            weights[term] = weights.get(term, 0.0) + 1.0
    for concept in concepts:
        extra = {t for alt in concept.alternatives for t in alt} - set(concept.terms)
        for term in extra:
            if term not in weights or weights[term] < EXPANSION_WEIGHT:
                weights[term] = max(weights.get(term, 0.0), EXPANSION_WEIGHT)
    return weights
