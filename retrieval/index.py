"""BM25 over passages: rank-bm25's BM25Plus formula, served from an inverted index.

Why BM25Plus, k1=1.2, b=0.75:
- rank-bm25's BM25Okapi idf, log((N-n+0.5)/(n+0.5)), is 0 for a term in half the
  passages and negative above (floored to a fraction of the mean idf). In our corpus of
  about a hundred passages, "engineer" and "machine learning" sit near that line, so
  Okapi would score the very words of most questions as worthless or arbitrary.
  BM25Plus's idf, log((N+1)/n), is positive for every term that occurs and falls
  smoothly with n, like Lucene's.
- rank-bm25's BM25Plus adds delta (the lower bound of Lv & Zhai) to *every* passage for
  every query term, present or not, so delta shifts all scores equally and cannot change
  a ranking: in rank-bm25, BM25Plus is in effect BM25 with that better idf.
- k1=1.2 and b=0.75 are Robertson's and Lucene's standard values; we did not tune them
  on any test set.

rank-bm25 stays the scorer of record (tests and bench only): `reference_corpus()` gives the
same tokens for rank_bm25.BM25Plus, and a test checks `scores()` equals its get_scores() to 1e-6. Note
rank-bm25 adds idf*delta for every query term to every passage, even one without the
term; we keep that constant so the scores are identical, and it cannot change a ranking.

Why not just call rank-bm25: its get_scores walks every passage in Python for every
query term (about 155 ms at 100k passages). Here each term's contribution is
precomputed per passage in CSR postings, so a question touches only the passages that
contain its terms.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from itertools import chain, islice
from pathlib import Path

import numpy as np

from retrieval.errors import IndexFileError

K1 = 1.2
B = 0.75
DELTA = 1.0
FORMAT_VERSION = 1
BUILD_CHUNK = 65_536  # passages per step of the build (and per progress report)


class BM25Index:
    """Immutable BM25Plus index over token lists; score(weighted terms) -> per-passage scores."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        idf: np.ndarray,
        indptr: np.ndarray,
        postings: np.ndarray,
        weights: np.ndarray,
        doc_lengths: np.ndarray,
        params: Mapping[str, float],
    ) -> None:
        self.vocabulary = vocabulary
        self.idf = idf
        self.indptr = indptr
        self.postings = postings
        self.weights = weights
        self.doc_lengths = doc_lengths
        self.params = dict(params)
        self.size = int(doc_lengths.shape[0])

    # -- building -----------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        corpus_tokens: Sequence[Sequence[str]],
        k1: float = K1,
        b: float = B,
        delta: float = DELTA,
        progress: Callable[[int], None] | None = None,
    ) -> BM25Index:
        """Index token lists (one per passage). Raises ValueError on an empty corpus.

        `progress`, if given, is called with the number of passages read so far (for a
        progress bar on large corpora)."""
        n_docs = len(corpus_tokens)
        if n_docs == 0:
            raise ValueError("cannot index an empty corpus")
        lengths = np.fromiter(map(len, corpus_tokens), dtype=np.int64, count=n_docs)
        total = int(lengths.sum())
        # Term ids in order of first occurrence, a chunk of passages at a time; inside a
        # chunk, C-level iteration (dict.fromkeys, map) rather than a Python loop per
        # token: 3x faster on 100k passages.
        vocabulary: dict[str, int] = {}
        term_ids = np.empty(total, dtype=np.int64)
        passages = iter(corpus_tokens)
        done = pos = 0
        while done < n_docs:
            chunk = list(islice(passages, BUILD_CHUNK))
            if not chunk:
                raise ValueError("the corpus yielded fewer passages than its length")
            new = [t for t in dict.fromkeys(chain.from_iterable(chunk)) if t not in vocabulary]
            vocabulary.update(zip(new, range(len(vocabulary), len(vocabulary) + len(new)), strict=True))
            count = int(lengths[done : done + len(chunk)].sum())
            term_ids[pos : pos + count] = np.fromiter(
                map(vocabulary.__getitem__, chain.from_iterable(chunk)), dtype=np.int64, count=count
            )
            done, pos = done + len(chunk), pos + count
            if progress is not None:
                progress(done)
        doc_ids = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        # One sort gives, per (term, passage) pair, its term frequency, grouped by term.
        keys, tf = np.unique(term_ids * n_docs + doc_ids, return_counts=True)
        post_terms = keys // n_docs
        postings = (keys % n_docs).astype(np.int32)
        n_terms = len(vocabulary)
        df = np.bincount(post_terms, minlength=n_terms)
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        avgdl = total / n_docs
        idf = np.log((n_docs + 1) / df)  # rank-bm25 BM25Plus._calc_idf
        norm = k1 * (1 - b + b * lengths[postings] / avgdl)
        weights = idf[post_terms] * (tf * (k1 + 1)) / (norm + tf)
        params = {"k1": k1, "b": b, "delta": delta, "avgdl": avgdl}
        return cls(vocabulary, idf, indptr, postings, weights, lengths, params)

    # -- scoring ------------------------------------------------------------------------

    def scores(self, query: Mapping[str, float] | Sequence[str]) -> np.ndarray:
        """BM25Plus score of every passage, exactly as rank-bm25's get_scores. A sequence
        counts repeats like rank-bm25; a mapping gives each term a weight."""
        weighted = _as_weights(query)
        scores = self.evidence(weighted)
        constant = self.baseline(weighted)
        if constant:
            scores += constant
        return scores

    def evidence(self, query: Mapping[str, float] | Sequence[str]) -> np.ndarray:
        """Each passage's score above the baseline: the part earned by the terms it holds."""
        scores = np.zeros(self.size, dtype=np.float64)
        for term, weight in _as_weights(query).items():
            tid = self.vocabulary.get(term)
            if tid is None:
                continue  # rank-bm25: idf.get(q) or 0
            start, end = self.indptr[tid], self.indptr[tid + 1]
            # A term's postings are distinct passages, so a fancy-index += is exact.
            contribution = self.weights[start:end] if weight == 1.0 else weight * self.weights[start:end]
            scores[self.postings[start:end]] += contribution
        return scores

    def baseline(self, query: Mapping[str, float] | Sequence[str]) -> float:
        """The score a passage containing none of the query terms gets (rank-bm25's constant)."""
        delta = self.params["delta"]
        return sum(
            w * float(self.idf[self.vocabulary[t]]) * delta
            for t, w in _as_weights(query).items()
            if t in self.vocabulary
        )

    def top(self, query: Mapping[str, float] | Sequence[str], k: int) -> list[tuple[int, float]]:
        """(passage number, score) of the k best passages that contain a query term, best
        first; equal scores in passage order."""
        weighted = _as_weights(query)
        if not any(t in self.vocabulary for t in weighted):
            return []
        scores = self.scores(weighted)
        # rank-bm25's get_top_n would return passages without any query term; we don't.
        return best_k_dense(scores, k, above=self.baseline(weighted) + 1e-12)

    def contains(self, term: str, passage: int) -> bool:
        """Whether passage number `passage` contains the analyzed term."""
        tid = self.vocabulary.get(term)
        if tid is None:
            return False
        # Called for every (candidate, question term) pair, so the method form of
        # searchsorted, without numpy's dispatch wrapper.
        postings = self.postings[self.indptr[tid] : self.indptr[tid + 1]]
        at = postings.searchsorted(passage)
        return bool(at < postings.shape[0] and postings[at] == passage)

    def contains_many(self, term: str, passages: np.ndarray) -> np.ndarray:
        """contains() for an array of passage numbers at once (one search per term, not per pair)."""
        passages = np.asarray(passages, dtype=np.int64)
        tid = self.vocabulary.get(term)
        if tid is None or passages.size == 0:
            return np.zeros(passages.shape, dtype=bool)
        postings = self.postings[self.indptr[tid] : self.indptr[tid + 1]]
        at = np.minimum(postings.searchsorted(passages), postings.shape[0] - 1)
        found: np.ndarray = postings[at] == passages
        return found

    def term_idf(self, term: str) -> float:
        """idf of a term; a term never seen gets the idf of a term in one passage."""
        tid = self.vocabulary.get(term)
        return float(self.idf[tid]) if tid is not None else math.log(self.size + 1)

    def reference_corpus(self) -> list[list[str]]:
        """The passages as token lists rebuilt from the index, to check `scores()` against the
        scorer of record, rank_bm25.BM25Plus(corpus, k1, b, delta). rank-bm25 is a test and
        benchmark dependency only: no production module imports it."""
        inverse = {tid: term for term, tid in self.vocabulary.items()}
        corpus: list[list[str]] = [[] for _ in range(self.size)]
        tfs = self._term_frequencies()
        for tid in range(len(inverse)):
            start, end = self.indptr[tid], self.indptr[tid + 1]
            for doc, tf in zip(self.postings[start:end].tolist(), tfs[start:end].tolist(), strict=True):
                corpus[doc].extend([inverse[tid]] * tf)
        # Pad with a token no query can produce so document lengths match exactly.
        for doc, length in enumerate(self.doc_lengths.tolist()):
            corpus[doc].extend(["\x00pad"] * (length - len(corpus[doc])))
        return corpus

    def _term_frequencies(self) -> np.ndarray:
        """Invert the stored weights back to term frequencies (exact up to rounding)."""
        k1, b, avgdl = self.params["k1"], self.params["b"], self.params["avgdl"]
        n_terms = len(self.indptr) - 1
        term_of = np.repeat(np.arange(n_terms), np.diff(self.indptr))
        norm = k1 * (1 - b + b * self.doc_lengths[self.postings] / avgdl)
        ratio = self.weights / self.idf[term_of]  # = tf (k1+1) / (norm + tf)
        tfs: np.ndarray = np.rint(ratio * norm / (k1 + 1 - ratio)).astype(np.int64)
        return tfs

    # -- persistence --------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """Plain numeric arrays (and the vocabulary as UTF-8 JSON bytes) for saving."""
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            "idf": self.idf,
            "indptr": self.indptr,
            "postings": self.postings,
            "weights": self.weights,
            "doc_lengths": self.doc_lengths,
            "vocabulary": np.frombuffer(json.dumps(terms).encode(), dtype=np.uint8),
            "params": np.frombuffer(json.dumps(self.params).encode(), dtype=np.uint8),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], source: Path) -> BM25Index:
        try:
            terms = json.loads(bytes(arrays["vocabulary"]).decode())
            params = json.loads(bytes(arrays["params"]).decode())
            index = cls(
                {t: i for i, t in enumerate(terms)},
                np.asarray(arrays["idf"], dtype=np.float64),
                np.asarray(arrays["indptr"], dtype=np.int64),
                np.asarray(arrays["postings"], dtype=np.int32),
                np.asarray(arrays["weights"], dtype=np.float64),
                np.asarray(arrays["doc_lengths"], dtype=np.int64),
                params,
            )
        except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise IndexFileError(f"{source}: the index data is damaged ({exc})") from None
        n_terms = len(index.vocabulary)
        if (
            index.idf.shape != (n_terms,)
            or index.indptr.shape != (n_terms + 1,)
            or index.postings.shape != index.weights.shape
            or (index.indptr[-1] if n_terms else 0) != index.postings.shape[0]
            or (index.postings.size and (index.postings.min() < 0 or index.postings.max() >= index.size))
            or not {"k1", "b", "delta", "avgdl"} <= set(params)
        ):
            raise IndexFileError(f"{source}: the index data is inconsistent (damaged or truncated file)")
        return index


def best_k_dense(scores: np.ndarray, k: int, above: float) -> list[tuple[int, float]]:
    """The k best entries of a score vector that are > `above`: highest first, ties by index."""
    positions = _best_positions(scores, k, above)
    return list(zip(positions.tolist(), scores[positions].tolist(), strict=True))


def best_k(candidates: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k best (candidate, score) pairs, candidates given in ascending order: highest
    score first, ties in candidate order."""
    positions = _best_positions(scores, k, -np.inf)
    return list(zip(candidates[positions].tolist(), scores[positions].tolist(), strict=True))


def _best_positions(scores: np.ndarray, k: int, above: float) -> np.ndarray:
    """Positions of the k highest scores > `above`, best first, equal scores by position.

    One partition finds the k-th best score; only the entries better than it, and the
    first of those equal to it, are sorted exactly, so ties never depend on partition
    order. (It partitions -scores for the k-th smallest: numpy's introselect is slow at
    the far end of an array whose entries are mostly equal, as the no-match floor makes
    them.)"""
    n = scores.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    kth = -np.partition(-scores, k - 1)[k - 1] if k < n else -np.inf
    if kth > above:
        better = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)[: k - better.size]
        positions = np.concatenate((better, tied))
    else:
        positions = np.flatnonzero(scores > above)
    return positions[np.lexsort((positions, -scores[positions]))[:k]]


def _as_weights(query: Mapping[str, float] | Sequence[str]) -> dict[str, float]:
    if isinstance(query, Mapping):
        return {t: float(w) for t, w in query.items() if w}
    weights: dict[str, float] = {}
    for term in query:
        weights[term] = weights.get(term, 0.0) + 1.0
    return weights
