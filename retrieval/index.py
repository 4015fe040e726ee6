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
query term (about 155 ms at 100k passages). Here the postings are CSR arrays, so a
question touches only the passages that contain its terms.

Compact storage: a posting is its passage number (int32) and a code (uint16 for any
realistic corpus) naming its (term frequency, passage length) pair; a small table per
code holds tf*(k1+1) and the length norm + tf, so a term's weights are
idf * table_a[codes] / table_b[codes]: the very float64 operations rank-bm25's formula
does, in the same order, so scores are bit for bit those of precomputed weights, at 6
bytes a posting instead of 12.
"""

from __future__ import annotations

import json
import math
import mmap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

import numpy as np

from retrieval.errors import IndexFileError
from retrieval.memory import release_free_memory

K1 = 1.2
B = 0.75
DELTA = 1.0
FORMAT_VERSION = 2
BUILD_CHUNK = 65_536  # passages per step of the build (and per progress report)
DENSE_SELECTION = 4  # top() partitions the whole score vector when postings x this >= passages
DENSE_CODE_TABLE = 1 << 24  # (tf, length) pairs looked up in a dense table up to this many
SAMPLED_SELECTION = 1 << 16  # top-k of a longer score vector starts from a sampled floor
SAMPLE_STRIDE = 16
# From this many passages top() runs the compiled loops of retrieval.kernels (same results,
# about twice as fast at 100k, nearly three times at 1M); below, a question takes well
# under a tenth of a millisecond either way, not worth numba's import (about a second).
KERNEL_MIN_PASSAGES = 50_000


class BM25Index:
    """Immutable BM25Plus index over token lists; score(weighted terms) -> per-passage scores."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        idf: np.ndarray,
        indptr: np.ndarray,
        postings: np.ndarray,
        codes: np.ndarray,
        code_tf: np.ndarray,
        code_length: np.ndarray,
        doc_lengths: np.ndarray,
        params: Mapping[str, float],
    ) -> None:
        self.vocabulary = vocabulary
        self.idf = idf
        self.indptr = indptr
        self.postings = postings
        self.codes = codes
        self.code_tf = code_tf
        self.code_length = code_length
        self.doc_lengths = doc_lengths
        self.params = dict(params)
        self.size = int(doc_lengths.shape[0])
        k1, b, avgdl = self.params["k1"], self.params["b"], self.params["avgdl"]
        # rank-bm25's tf * (k1 + 1) and k1 * (1 - b + b * dl / avgdl) + tf, per code. (Kept
        # apart, not divided once per code: rank-bm25 multiplies by idf before dividing, and
        # the scores stay bit-for-bit those of the pre-batching build, tests/retrieval/test_build.)
        self._numerator = code_tf.astype(np.int64) * (k1 + 1)
        self._denominator = k1 * (1 - b + b * code_length.astype(np.int64) / avgdl) + code_tf.astype(np.int64)

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
        builder = IndexBuilder()
        terms: dict[str, int] = {}
        passages = iter(corpus_tokens)
        done = 0
        while done < n_docs:
            chunk = list(islice(passages, BUILD_CHUNK))
            if not chunk:
                raise ValueError("the corpus yielded fewer passages than its length")
            # C-level iteration (dict.fromkeys, map) rather than a Python loop per token.
            new = [t for t in dict.fromkeys(chain.from_iterable(chunk)) if t not in terms]
            terms.update(zip(new, range(len(terms), len(terms) + len(new)), strict=True))
            lengths = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
            ids = np.fromiter(
                map(terms.__getitem__, chain.from_iterable(chunk)), dtype=np.int32, count=int(lengths.sum())
            )
            builder.add(ids, lengths)
            done += len(chunk)
            if progress is not None:
                progress(done)
        return builder.finish(list(terms), k1=k1, b=b, delta=delta)

    # -- scoring ------------------------------------------------------------------------

    def term_weights(self, tid: int) -> np.ndarray:
        """BM25Plus weight of term `tid` in each passage of its postings (float64)."""
        codes = self.codes[self.indptr[tid] : self.indptr[tid + 1]]
        if codes.shape[0] >= self._numerator.shape[0]:
            # More postings than codes: the weight of every code, then one gather (the
            # same two float64 operations per value, so the same bits).
            table = self._numerator * self.idf[tid]
            table /= self._denominator
            weights: np.ndarray = table.take(codes)
            return weights
        weights = self._numerator.take(codes)
        weights *= self.idf[tid]  # (idf * tf (k1 + 1)) / (norm + tf), as rank-bm25 orders it
        weights /= self._denominator.take(codes)
        return weights

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
        known = self._known(_as_weights(query))
        if known and self.compiled:
            from retrieval import kernels

            return kernels.scores(self.size, *self._kernel_arguments(known))
        scores = np.zeros(self.size, dtype=np.float64)
        for n, (tid, weight) in enumerate(known):
            contribution = self.term_weights(tid)
            if weight != 1.0:
                contribution = weight * contribution
            postings = self.postings[self.indptr[tid] : self.indptr[tid + 1]]
            if n:
                # np.add.at: the same additions in the same order as a fancy-index +=, in
                # one pass instead of gather, add, scatter (about twice as fast on numpy 2).
                np.add.at(scores, postings, contribution)
            else:
                scores[postings] = contribution  # 0.0 + c is c (no weight is ever 0)
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
        first; equal scores in passage order.

        Only the passages in the query terms' postings are candidates (rank-bm25's
        get_top_n would also return passages without any query term; we don't): the scores
        are summed in a dense vector, and when the postings are few next to the corpus the
        selection looks at the candidates alone, not at every passage (at 1M passages that
        is most of the cost); otherwise one partition of the dense vector is cheaper."""
        weighted = _as_weights(query)
        known = self._known(weighted)
        if not known or k <= 0:
            return []
        constant = self.baseline(weighted)
        if self.compiled:
            return self.top_compiled(known, constant, k)
        scores = np.zeros(self.size, dtype=np.float64)
        parts: list[np.ndarray] = []
        for tid, weight in known:
            contribution = self.term_weights(tid)
            if weight != 1.0:
                contribution = weight * contribution
            postings = self.postings[self.indptr[tid] : self.indptr[tid + 1]]
            if parts:
                np.add.at(scores, postings, contribution)  # see evidence()
            else:
                scores[postings] = contribution  # 0.0 + c is c: the same bits, one pass
            parts.append(postings)
        if sum(p.shape[0] for p in parts) * DENSE_SELECTION >= self.size:
            return _best_k_shifted(scores, constant, k, above=constant + 1e-12)
        candidates = parts[0] if len(parts) == 1 else np.concatenate(parts)
        values = scores[candidates] + constant if constant else scores[candidates]
        # A passage appears once per query term it holds, so the (k x terms)-th best value
        # is at most the k-th best passage's score: everything at or above it is enough.
        room = k * len(parts)
        if values.shape[0] > room:
            threshold = -np.partition(-values, room - 1)[room - 1]
            candidates = candidates[values >= threshold]
        if len(parts) > 1:
            candidates = np.unique(candidates)  # one term's postings are distinct already
        picked = scores[candidates] + constant if constant else scores[candidates]
        above = constant + 1e-12
        eligible = picked > above
        candidates, picked = candidates[eligible], picked[eligible]
        order = np.lexsort((candidates, -picked))[:k]
        return list(zip(candidates[order].tolist(), picked[order].tolist(), strict=True))

    def warm(self) -> None:
        """Compile (or load from numba's cache) the search loops now when top() will use
        them, so the first question does not wait for it."""
        if self.compiled and self.vocabulary:
            self.top_compiled([(0, 1.0)], 0.0, 1)
            self.evidence({next(iter(self.vocabulary)): 1.0})

    def top_compiled(
        self, known: Sequence[tuple[int, float]], constant: float, k: int
    ) -> list[tuple[int, float]]:
        """top() through retrieval.kernels: (term id, query weight) pairs and the baseline
        constant in, the same (passage, score) list out (tests/retrieval/test_kernels.py)."""
        from retrieval import kernels

        return kernels.top(self.size, *self._kernel_arguments(known), constant, k)

    @property
    def compiled(self) -> bool:
        """Whether this index searches through retrieval.kernels (large enough, numba here)."""
        return self.size >= KERNEL_MIN_PASSAGES and kernels_available()

    def top_with_context(
        self, query: Mapping[str, float], context: np.ndarray, owner: np.ndarray, k: int
    ) -> list[tuple[int, float]]:
        """PassageSearch.top's selection through retrieval.kernels (for a `compiled` index):
        the k best passages holding a query term, by their evidence + context[owner]."""
        known = self._known(_as_weights(query))
        if not known or k <= 0:
            return []
        from retrieval import kernels

        return kernels.top_with_context(
            self.size, *self._kernel_arguments(known), np.asarray(context, dtype=np.float64), owner, k
        )

    def _kernel_arguments(
        self, known: Sequence[tuple[int, float]]
    ) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
    ]:
        """The arrays retrieval.kernels reads for the (term id, query weight) pairs."""
        tids = np.fromiter((t for t, _ in known), dtype=np.int64, count=len(known))
        return (
            np.asarray(self.postings),  # a loaded index's memory maps, as plain arrays
            np.asarray(self.codes),
            self.indptr[tids],
            self.indptr[tids + 1],
            self.idf[tids],
            np.fromiter((w for _, w in known), dtype=np.float64, count=len(known)),
            self._numerator,
            self._denominator,
        )

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
        tfs = self.code_tf[self.codes]
        for tid in range(len(inverse)):
            start, end = self.indptr[tid], self.indptr[tid + 1]
            for doc, tf in zip(self.postings[start:end].tolist(), tfs[start:end].tolist(), strict=True):
                corpus[doc].extend([inverse[tid]] * tf)
        # Pad with a token no query can produce so document lengths match exactly.
        for doc, length in enumerate(self.doc_lengths.tolist()):
            corpus[doc].extend(["\x00pad"] * (length - len(corpus[doc])))
        return corpus

    def _known(self, weighted: Mapping[str, float]) -> list[tuple[int, float]]:
        return [(self.vocabulary[t], w) for t, w in weighted.items() if t in self.vocabulary]

    # -- persistence --------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """Plain numeric arrays (and the vocabulary as UTF-8 JSON bytes) for saving."""
        terms = list(self.vocabulary)  # built (and loaded) in term order; sorted if not
        numbers = np.fromiter(self.vocabulary.values(), dtype=np.int64, count=len(terms))
        if not np.array_equal(numbers, np.arange(len(terms))):
            terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        del numbers
        return {
            "idf": self.idf,
            "indptr": self.indptr,
            "postings": self.postings,
            "codes": self.codes,
            "code_tf": self.code_tf,
            "code_length": self.code_length,
            "doc_lengths": self.doc_lengths,
            "vocabulary": np.frombuffer(json.dumps(terms, ensure_ascii=False).encode(), dtype=np.uint8),
            "params": np.frombuffer(json.dumps(self.params).encode(), dtype=np.uint8),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], source: Path) -> BM25Index:
        try:
            terms = json.loads(bytes(arrays["vocabulary"]).decode())
            params = json.loads(bytes(arrays["params"]).decode())
            codes = np.asarray(arrays["codes"])
            if codes.dtype not in (np.uint16, np.uint32):
                raise ValueError(f"codes of type {codes.dtype}")
            index = cls(
                {t: i for i, t in enumerate(terms)},
                np.asarray(arrays["idf"], dtype=np.float64),
                np.asarray(arrays["indptr"], dtype=np.int64),
                np.asarray(arrays["postings"], dtype=np.int32),
                codes,
                np.asarray(arrays["code_tf"], dtype=np.int32),
                np.asarray(arrays["code_length"], dtype=np.int32),
                np.asarray(arrays["doc_lengths"], dtype=np.int32),
                params,
            )
        except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise IndexFileError(f"{source}: the index data is damaged ({exc})") from None
        n_terms = len(index.vocabulary)
        if (
            index.idf.shape != (n_terms,)
            or index.indptr.shape != (n_terms + 1,)
            or index.postings.shape != index.codes.shape
            or index.code_tf.shape != index.code_length.shape
            or (index.indptr[-1] if n_terms else 0) != index.postings.shape[0]
            or (index.postings.size and (index.postings.min() < 0 or index.postings.max() >= index.size))
            or (index.codes.size and int(index.codes.max()) >= index.code_tf.shape[0])
            or not {"k1", "b", "delta", "avgdl"} <= set(params)
        ):
            raise IndexFileError(f"{source}: the index data is inconsistent (damaged or truncated file)")
        return index


class IndexBuilder:
    """Builds a BM25Index from chunks of term ids, never holding the corpus as tokens.

    Each chunk (up to 65,536 passages) is reduced at once to its postings, sorted by term:
    the passage's number inside the chunk (uint16) and the term frequency (uint8 unless
    a chunk has a larger one): 3 bytes a posting until finish(). finish() lays
    the chunks' postings out term by term (chunk after chunk, so each term's postings
    stay in passage order) and codes each (tf, length) pair. Term ids are the caller's
    (any dense numbering); the index numbers its terms in order of first occurrence.
    """

    def __init__(self) -> None:
        self._local = np.full(0, -1, dtype=np.int64)  # caller's term id -> this index's
        self._n_terms = 0
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._lengths: list[np.ndarray] = []

    def add(self, ids: np.ndarray, lengths: np.ndarray) -> None:
        """Add passages: `ids` are their terms, passage after passage; `lengths` their counts."""
        for chunk in reduce_chunks(ids, lengths):
            self.add_reduced(chunk)

    def add_reduced(self, chunk: ReducedChunk, term_map: np.ndarray | None = None) -> None:
        """Add a chunk from reduce_chunks(); `term_map` maps its term ids to the caller's
        (when the chunk was reduced elsewhere, with term ids of its own)."""
        order = chunk.first_seen if term_map is None else term_map[chunk.first_seen]
        if order.size:
            top = int(order.max()) + 1
            if top > self._local.shape[0]:
                grown = np.full(max(top, 2 * self._local.shape[0]), -1, dtype=np.int64)
                grown[: self._local.shape[0]] = self._local
                self._local = grown
            # Terms new to this index, numbered in order of first occurrence.
            new = order[self._local[order] < 0]
            self._local[new] = np.arange(self._n_terms, self._n_terms + new.size)
            self._n_terms += new.size
        group_terms = chunk.group_terms if term_map is None else term_map[chunk.group_terms]
        self._chunks.append(
            (self._local[group_terms].astype(np.int32), chunk.group_sizes, chunk.passages, chunk.tf)
        )
        self._lengths.append(chunk.lengths)

    def finish(
        self,
        terms: Sequence[str],
        k1: float = K1,
        b: float = B,
        delta: float = DELTA,
        keep: np.ndarray | None = None,
    ) -> BM25Index:
        """The index; `terms[i]` is the text of the caller's term id i. With `keep` (a bool
        per passage added), only those passages are indexed, numbered in order."""
        if keep is not None:
            keep = np.asarray(keep, dtype=bool)
            if keep.shape != (sum(x.shape[0] for x in self._lengths),):
                raise ValueError("keep must give one flag per passage added")
            if not keep.all():  # nothing to drop: no copy of the postings
                self._keep_only(keep)
        lengths = np.concatenate(self._lengths) if self._lengths else np.empty(0, dtype=np.int32)
        n_docs = int(lengths.shape[0])
        if n_docs == 0:
            raise ValueError("cannot index an empty corpus")
        n_terms = self._n_terms
        df = np.zeros(n_terms, dtype=np.int64)
        for group_terms, group_sizes, _, _ in self._chunks:
            df[group_terms] += group_sizes
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        total = int(indptr[-1])
        postings = _written_as_placed(total, np.int32)
        # Each posting's (tf, passage length) pair is coded as it is placed: the pairs are
        # gathered from the chunks first, so no tf array of the whole index is needed.
        chunk_lengths = self._lengths
        width = int(lengths.max()) + 1

        def pair_keys() -> Iterator[np.ndarray]:  # a chunk at a time: bounded temporaries
            for (_, _, passages, tf), chunk in zip(self._chunks, chunk_lengths, strict=True):
                yield tf.astype(np.int64) * width + chunk[passages]

        top_tf = max((int(c[3].max()) for c in self._chunks if c[3].size), default=0) + 1
        if top_tf * width <= DENSE_CODE_TABLE:
            present = np.zeros(top_tf * width, dtype=bool)
            for part in pair_keys():
                present[part] = True
            keys = np.flatnonzero(present)
            table = np.full(top_tf * width, -1, dtype=np.int64)
            table[keys] = np.arange(keys.shape[0])

            def lookup(k: np.ndarray) -> np.ndarray:
                found: np.ndarray = table[k]
                return found

        else:
            keys = np.unique(np.concatenate([np.unique(p) for p in pair_keys()]))

            def lookup(k: np.ndarray) -> np.ndarray:
                return np.searchsorted(keys, k)

        codes = _written_as_placed(total, np.uint16 if keys.shape[0] <= 1 << 16 else np.uint32)
        cursor = indptr[:-1].copy()
        offset = 0
        placed = 0
        while self._chunks:  # consumed front to back, so each chunk is freed once placed
            group_terms, group_sizes, passages, tf = self._chunks.pop(0)
            chunk = chunk_lengths[placed]
            group_starts = np.concatenate(([0], np.cumsum(group_sizes[:-1], dtype=np.int64)))
            where = np.repeat(cursor[group_terms] - group_starts, group_sizes) + np.arange(
                passages.shape[0], dtype=np.int64
            )
            postings[where] = passages.astype(np.int32) + offset
            codes[where] = lookup(tf.astype(np.int64) * width + chunk[passages])
            cursor[group_terms] += group_sizes
            offset += chunk.shape[0]
            placed += 1
            if placed % 2 == 0:
                release_free_memory()  # the placed chunks' memory, not kept beside the index
        self._lengths = []
        code_tf, code_length = (keys // width).astype(np.int32), (keys % width).astype(np.int32)
        avgdl = float(lengths.sum(dtype=np.int64)) / n_docs
        idf = np.log((n_docs + 1) / df)  # rank-bm25 BM25Plus._calc_idf
        inverse = np.empty(n_terms, dtype=np.int64)
        inverse[self._local[self._local >= 0]] = np.flatnonzero(self._local >= 0)
        # Through an object array: no list of a million Python ints beside the dict.
        vocabulary = dict(zip(np.array(terms, dtype=object)[inverse].tolist(), range(n_terms), strict=True))
        params = {"k1": k1, "b": b, "delta": delta, "avgdl": avgdl}
        return BM25Index(vocabulary, idf, indptr, postings, codes, code_tf, code_length, lengths, params)

    def _keep_only(self, keep: np.ndarray) -> None:
        """Drop the postings of passages not kept, and terms left in no passage."""
        chunks = []
        offset = 0
        for (group_terms, group_sizes, passages, tf), lengths in zip(
            self._chunks, self._lengths, strict=True
        ):
            kept = keep[offset : offset + lengths.shape[0]]
            offset += lengths.shape[0]
            number = np.cumsum(kept) - 1
            held = kept[passages]
            group_starts = np.concatenate(([0], np.cumsum(group_sizes[:-1], dtype=np.int64)))
            sizes = np.add.reduceat(held.astype(np.int32), group_starts) if held.size else group_sizes
            present = sizes > 0
            chunks.append(
                (
                    group_terms[present],
                    sizes[present].astype(np.int32),
                    number[passages[held]].astype(np.uint16),
                    tf[held],
                )
            )
        if offset != keep.shape[0]:
            raise ValueError("keep must give one flag per passage added")
        self._chunks = chunks
        self._lengths = [
            lengths[keep[s : s + lengths.shape[0]]]
            for s, lengths in zip(
                np.cumsum([0] + [x.shape[0] for x in self._lengths[:-1]]).tolist(), self._lengths, strict=True
            )
        ]
        df = np.zeros(self._n_terms, dtype=np.int64)
        for group_terms, group_sizes, _, _ in self._chunks:
            df[group_terms] += group_sizes
        used = df > 0
        renumber = np.cumsum(used) - 1
        self._chunks = [(renumber[g].astype(np.int32), z, p, t) for g, z, p, t in self._chunks]
        mapped = self._local >= 0
        mapped[mapped] = used[self._local[mapped]]
        self._local = np.where(mapped, renumber[np.maximum(self._local, 0)], -1)
        self._n_terms = int(used.sum())


def _written_as_placed(n: int, dtype: type[np.generic]) -> np.ndarray:
    """An uninitialised array whose memory becomes resident only as it is written.

    numpy asks Linux for transparent huge pages for a large array, so the first chunk
    laid out, which writes a few postings into every term's stretch, would make the
    whole index resident at once, beside the chunks still waiting; in 4 kB pages of an
    anonymous map it grows as the chunks are placed (and freed)."""
    size = n * np.dtype(dtype).itemsize
    if size < 1 << 22 or not hasattr(mmap, "MAP_PRIVATE"):
        return np.empty(n, dtype=dtype)
    return np.frombuffer(mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE), dtype=dtype, count=n)


@dataclass
class ReducedChunk:
    """Up to BUILD_CHUNK passages as postings grouped by term (see IndexBuilder)."""

    first_seen: np.ndarray  # the chunk's distinct term ids, in order of first occurrence
    group_terms: np.ndarray  # term id of each group of postings
    group_sizes: np.ndarray  # postings per group
    passages: np.ndarray  # (uint16) passage number inside the chunk, per posting
    tf: np.ndarray  # term frequency per posting
    lengths: np.ndarray  # (int32) terms per passage


def reduce_chunks(ids: np.ndarray, lengths: np.ndarray) -> list[ReducedChunk]:
    """Passages' term ids (one passage after another) reduced to postings, BUILD_CHUNK
    passages a chunk. Pure, so it can run in a worker process."""
    n = int(lengths.shape[0])
    if n > BUILD_CHUNK:
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        return [
            chunk
            for start in range(0, n, BUILD_CHUNK)
            for chunk in reduce_chunks(
                ids[offsets[start] : offsets[min(start + BUILD_CHUNK, n)]],
                lengths[start : start + BUILD_CHUNK],
            )
        ]
    if n == 0:
        return []
    ids = np.asarray(ids, dtype=np.int64)
    total = ids.shape[0]
    # One in-place sort of (term, position) keys gives everything: each term's postings in
    # passage order, runs of one passage (its tf), and each term's first position.
    bits = max(total.bit_length(), 1)
    keys = (ids << bits) | np.arange(total, dtype=np.int64)
    keys.sort()
    terms = keys >> bits
    position = keys & ((1 << bits) - 1)
    del keys
    passage = np.repeat(np.arange(n, dtype=np.int32), lengths)[position]
    term_start = np.ones(total, dtype=bool)
    term_start[1:] = terms[1:] != terms[:-1]
    pair_start = term_start.copy()
    pair_start[1:] |= passage[1:] != passage[:-1]
    pairs = np.flatnonzero(pair_start)
    tf = np.diff(np.append(pairs, total))
    distinct, first_positions = terms[term_start], position[term_start]
    first_seen = distinct[np.argsort(first_positions)]
    groups = np.flatnonzero(term_start[pairs])
    top_tf = int(tf.max()) if tf.size else 0
    tf_type = np.uint8 if top_tf <= 0xFF else np.uint16 if top_tf <= 0xFFFF else np.uint32
    return [
        ReducedChunk(
            first_seen=first_seen,
            group_terms=distinct,
            group_sizes=np.diff(np.append(groups, pairs.shape[0])).astype(np.int32),
            passages=passage[pairs].astype(np.uint16),
            tf=tf.astype(tf_type),
            lengths=np.asarray(lengths, dtype=np.int32),
        )
    ]


def kernels_available() -> bool:
    """Whether numba (retrieval.kernels) can be imported here; checked once."""
    global _KERNELS
    if _KERNELS is None:
        try:
            import numba  # noqa: F401

            _KERNELS = True
        except ImportError:
            _KERNELS = False
    return _KERNELS


_KERNELS: bool | None = None


def best_k_dense(scores: np.ndarray, k: int, above: float) -> list[tuple[int, float]]:
    """The k best entries of a score vector that are > `above`: highest first, ties by index."""
    positions = _best_positions(scores, k, above)
    return list(zip(positions.tolist(), scores[positions].tolist(), strict=True))


def _best_k_shifted(evidence: np.ndarray, constant: float, k: int, above: float) -> list[tuple[int, float]]:
    """best_k_dense(evidence + constant, k, above), adding the constant only where needed.

    The floor is found on a sample of the shifted scores, as in _best_positions; then
    fl(e + c) >= floor implies e >= floor - c, less a few ulps of rounding: that cut of
    the evidence is a superset of the answer, and its shifted values (the very same
    additions) are selected exactly."""
    n = evidence.shape[0]
    if not constant or n < SAMPLED_SELECTION or n // SAMPLE_STRIDE < k or k <= 0:
        return best_k_dense(evidence + constant if constant else evidence, k, above)
    sample = evidence[::SAMPLE_STRIDE] + constant
    floor = float(-np.partition(-sample, k - 1)[k - 1])
    slack = 4 * float(np.spacing(abs(floor) + abs(constant)))
    positions = np.flatnonzero(evidence >= floor - constant - slack)
    values = evidence[positions] + constant
    kept = (values >= floor) & (values > above)
    positions, values = positions[kept], values[kept]
    best = _best_positions(values, k, above, sampled=False)
    return list(zip(positions[best].tolist(), values[best].tolist(), strict=True))


def best_k(candidates: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k best (candidate, score) pairs, candidates given in ascending order: highest
    score first, ties in candidate order."""
    positions = _best_positions(scores, k, -np.inf)
    return list(zip(candidates[positions].tolist(), scores[positions].tolist(), strict=True))


def _best_positions(scores: np.ndarray, k: int, above: float, sampled: bool = True) -> np.ndarray:
    """Positions of the k highest scores > `above`, best first, equal scores by position.

    A long vector is first cut down with a floor: the k-th best of every SAMPLE_STRIDE-th
    entry is at most the k-th best of all, so every entry of the answer is at or above
    it, and the few entries there are selected exactly (a partition of the whole vector
    costs several times more at 1M passages). Otherwise one partition finds the k-th
    best score; only the entries better than it, and the first of those equal to it, are
    sorted exactly, so ties never depend on partition order. (It partitions -scores for
    the k-th smallest: numpy's introselect is slow at the far end of an array whose
    entries are mostly equal, as the no-match floor makes them.)"""
    n = scores.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if sampled and n >= SAMPLED_SELECTION and n // SAMPLE_STRIDE >= k:
        sample = -scores[::SAMPLE_STRIDE]
        floor = -np.partition(sample, k - 1)[k - 1]
        positions = np.flatnonzero(scores >= floor) if floor > above else np.flatnonzero(scores > above)
        if positions.shape[0] > SAMPLED_SELECTION // 4:
            # Many at the floor (ties, or a flat distribution): select exactly among them.
            chosen: np.ndarray = positions[_best_positions(scores[positions], k, above, sampled=False)]
            return chosen
        return positions[np.lexsort((positions, -scores[positions]))[:k]]
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
