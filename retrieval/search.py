"""Passage search with document context: a passage's score is its own BM25 plus its document's.

Why both: a passage is a few sentences, so it often misses words its neighbours use for
the same subject; the document's score says whether the whole article is about the
question. Adding the two (equal weight, the plain sum; Callan 1994 combines passage and
document evidence the same way) ranks a passage high when it matches and its article does
too. On BEIR SciFact this lifts nDCG@10 from 0.660 (passages alone) to 0.691 (whole
documents with the same analyzer: 0.682; see bench/scifact.py). Both parts are rank-bm25 BM25Plus scores (see retrieval.index).

Title words: a word only a document's title, authors or site uses (passages index their
section headings, not those; the document index has them all) is still a word of the corpus. A passage holds
it when its document's title does, so "what's the expense policy?" finds the passages of
the document titled "Expense policy" whose text never repeats those words; that word adds
to their document's score, not their own. (A word of a removed near-duplicate passage
alone counts the same way: it is its document's word.)

Synonyms: a concept with equivalent phrasings ("MLE" / "machine learning engineer")
scores as its best phrasing in each passage (a dis-max, as Lucene's synonym handling
does), each phrasing's score scaled to the length of the asker's own phrase, so a
passage is not rewarded twice for saying the same thing two ways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from retrieval.index import BM25Index, best_k
from retrieval.synonyms import Concept

DOCUMENT_WEIGHT = 1.0  # the plain sum (see above); not tuned


class PassageSearch:
    """Ranks passages by passage BM25 + document BM25; pure and read-only after build."""

    def __init__(self, passages: BM25Index, documents: BM25Index, owner: np.ndarray) -> None:
        if owner.shape != (passages.size,):
            raise ValueError("owner must give one document number per passage")
        self.passages = passages
        self.documents = documents
        self.owner = owner  # document number of each passage

    @classmethod
    def build(
        cls,
        passage_tokens: Sequence[Sequence[str]],
        document_tokens: Sequence[Sequence[str]],
        owner: Sequence[int],
    ) -> PassageSearch:
        return cls(
            BM25Index.build(passage_tokens),
            BM25Index.build(document_tokens),
            np.asarray(owner, dtype=np.int32),
        )

    @property
    def size(self) -> int:
        return self.passages.size

    def scores(self, query: Mapping[str, float] | Sequence[str]) -> np.ndarray:
        """Combined rank-bm25 score of every passage for a plain (weighted) term query."""
        combined: np.ndarray = self.passages.scores(query) + self.documents.scores(query)[self.owner]
        return combined

    def evidence(
        self, concepts: Sequence[Concept], weights: Sequence[float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(combined, passage-only) scores above the no-match baseline, for a concept query."""
        own, context = self._parts(concepts, weights)
        return own + DOCUMENT_WEIGHT * context[self.owner], own

    def title_only(self, term: str) -> bool:
        """True for a term of some document's title (authors, site) that no passage uses."""
        return term not in self.passages.vocabulary and term in self.documents.vocabulary

    def title_holds(self, term: str, passages: np.ndarray) -> np.ndarray:
        """For a title-only term: which of these passages belong to a document whose title has it."""
        return self.documents.contains_many(term, self.owner[passages])

    def top(
        self, concepts: Sequence[Concept], k: int, weights: Sequence[float] | None = None
    ) -> list[tuple[int, float]]:
        """(passage number, score above baseline) of the k best passages that hold a query
        term themselves (or, for a title-only term, whose document's title holds it), best
        first; equal scores in passage order. `weights` (one per concept, default 1) scale
        each concept's BM25 contribution, as a weighted query."""
        titled = [t for c in concepts for o in (c.terms, *c.alternatives) for t in o if self.title_only(t)]
        if (
            self.passages.compiled
            and DOCUMENT_WEIGHT == 1.0
            and not titled
            and not any(c.alternatives for c in concepts)
        ):
            # Plain terms on a large index: one compiled pass (retrieval.kernels), the
            # same sums and the same choice as below.
            plain = self._plain(concepts, weights)
            return self.passages.top_with_context(plain, self.documents.evidence(plain), self.owner, k)
        own, context = self._parts(concepts, weights)
        # Only passages that themselves match are answers; combine the two scores for
        # those alone (the same sum, element by element, as evidence()).
        # (On a boolean array: numpy's nonzero() is ten times slower on the floats themselves.)
        matches = own > 1e-12
        if titled:
            matches |= (self.documents.evidence(dict.fromkeys(titled, 1.0)) > 1e-12)[self.owner]
        candidates = np.flatnonzero(matches)
        around = context[self.owner[candidates]]
        combined = own[candidates] + (around if DOCUMENT_WEIGHT == 1.0 else DOCUMENT_WEIGHT * around)
        return best_k(candidates, combined, k)

    @staticmethod
    def _plain(concepts: Sequence[Concept], weights: Sequence[float] | None) -> dict[str, float]:
        """The weighted term query of the concepts that have no alternatives."""
        plain: dict[str, float] = {}
        for concept, weight in zip(concepts, weights or [1.0] * len(concepts), strict=True):
            if not concept.alternatives:
                for term in concept.terms:
                    plain[term] = plain.get(term, 0.0) + weight
        return plain

    def _parts(
        self, concepts: Sequence[Concept], weights: Sequence[float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(per-passage, per-document) evidence of a concept query."""
        plain = self._plain(concepts, weights)
        own: np.ndarray | None = None
        context: np.ndarray | None = None
        if weights is None:
            weights = [1.0] * len(concepts)
        for concept, weight in zip(concepts, weights, strict=True):
            if not concept.alternatives:
                continue  # in `plain`
            best_own: np.ndarray | None = None
            best_context: np.ndarray | None = None
            for option in (concept.terms, *concept.alternatives):
                scale = weight * len(concept.terms) / len(option)
                option_own = self.passages.evidence(option) * scale
                option_context = self.documents.evidence(option) * scale
                best_own = option_own if best_own is None else np.maximum(best_own, option_own)
                best_context = (
                    option_context if best_context is None else np.maximum(best_context, option_context)
                )
            own = best_own if own is None else own + best_own
            context = best_context if context is None else context + best_context
        if plain:
            plain_own = self.passages.evidence(plain)
            plain_context = self.documents.evidence(plain)
            own = plain_own if own is None else own + plain_own
            context = plain_context if context is None else context + plain_context
        if own is None or context is None:
            return np.zeros(self.size), np.zeros(self.documents.size)
        return own, context
