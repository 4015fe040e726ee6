"""Compiled search loops for large indexes (numba), with the same float64 operations as numpy.

Why: at a million passages a question touches a few hundred thousand postings, and numpy
needs four passes over them (gather the codes' numerators, multiply by the idf, divide by
the gathered denominators, np.add.at into an 8 MB score vector), then a pass over the whole
vector to select the best. top() instead takes each term's weight per (tf, length) code
once, scores one block of BLOCK passages at a time (the block's scores stay in cache while
the postings stream past) and picks the best of each block from the question's postings as
it completes: 1M-passage search p50 3.7 -> 1.3 ms (bench/scale.py, the careerbot row).
scores() is evidence()'s dense vector in one pass.

Same bits: each weight is (numerator * idf) / denominator, times the query weight when it
is not 1, added to the passage's running score term by term in query order, exactly the
operations and order of BM25Index's numpy path (numba compiles without fast-math, so no
reassociation or fused multiply-add). tests/retrieval/test_kernels.py compares the two paths
result for result.

numba is imported on first use only (about a second with compilation, cached on disk
afterwards), and only for an index of at least retrieval.index.KERNEL_MIN_PASSAGES, where it pays.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

# Passages scored at a time: their float64 scores (128 kB) stay in the core's L2 cache while
# the postings stream past, instead of scattering over an 8 MB vector at 1M passages.
BLOCK = 1 << 14
_NO_CONTEXT = np.zeros(1, dtype=np.float64)  # top()'s stand-ins for top_with_context's arrays
_NO_OWNER = np.zeros(1, dtype=np.int32)
_LOCK = threading.Lock()
_COMPILED: dict[str, Callable[..., Any]] = {}


def _compile() -> dict[str, Callable[..., Any]]:
    import numba

    jit = numba.njit(nogil=True, cache=True)

    @jit
    def _weight(
        numerator: np.ndarray, denominator: np.ndarray, code: int, idf: float, weight: float
    ) -> float:
        # rank-bm25's order: (tf (k1 + 1) * idf) / norm, then the query weight when not 1.
        value: float = (numerator[code] * idf) / denominator[code]
        return value if weight == 1.0 else weight * value

    @jit
    def _tables(
        starts: np.ndarray,
        ends: np.ndarray,
        idf: np.ndarray,
        weights: np.ndarray,
        numerator: np.ndarray,
        denominator: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        # A term with at least as many postings as there are (tf, length) codes gets its
        # weight per code, computed once per code rather than once per posting (the same
        # operations on the same values, so the same bits); row[t] is its table, or -1.
        # The others are weighed posting by posting: a table would cost more than them
        # (a document index of long articles has many codes).
        n_codes = numerator.shape[0]
        row = np.full(starts.shape[0], -1, dtype=np.int64)
        rows = 0
        for t in range(starts.shape[0]):
            if ends[t] - starts[t] >= n_codes:
                row[t] = rows
                rows += 1
        table = np.empty((rows, n_codes), dtype=np.float64)
        for t in range(starts.shape[0]):
            if row[t] >= 0:
                for code in range(n_codes):
                    table[row[t], code] = _weight(numerator, denominator, code, idf[t], weights[t])
        return table, row

    def top_k(
        size: int,
        postings: np.ndarray,
        codes: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        idf: np.ndarray,
        weights: np.ndarray,
        numerator: np.ndarray,
        denominator: np.ndarray,
        constant: float,
        above: float,
        k: int,
        context: np.ndarray,
        owner: np.ndarray,
        with_context: bool,
        block: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        scores = np.zeros(min(block, size), dtype=np.float64)
        cursor = starts.copy()
        stop = starts.copy()
        best_p = np.empty(k, dtype=np.int64)
        best_v = np.empty(k, dtype=np.float64)
        held = 0
        worst = 0  # position of the worst kept entry once k are held
        # Until k are held, anything above `above` enters (floor_p: no passage number is
        # below -1, so an equal score never enters on that side).
        floor = above
        floor_p = -1
        table, row = _tables(starts, ends, idf, weights, numerator, denominator)
        for low in range(0, size, block):
            high = low + block
            # Score this block's passages, term by term in query order.
            for t in range(starts.shape[0]):
                # Bounds in locals: LLVM cannot tell the score array from the others, so
                # it would reload anything read through an array after every store.
                j = cursor[t]
                end = ends[t]
                if row[t] >= 0:
                    weight_of = table[row[t]]
                    while j < end and postings[j] < high:
                        scores[postings[j] - low] += weight_of[codes[j]]
                        j += 1
                else:
                    factor = idf[t]
                    weight = weights[t]
                    while j < end and postings[j] < high:
                        scores[postings[j] - low] += _weight(numerator, denominator, codes[j], factor, weight)
                        j += 1
                stop[t] = j
            # Select among them, resetting each score to 0 once read: the block is clean for
            # the next, and a passage met again (it holds several terms) scores nothing.
            for t in range(starts.shape[0]):
                for j in range(cursor[t], stop[t]):
                    p = postings[j]
                    at = p - low
                    mine = scores[at]
                    scores[at] = 0.0
                    if with_context:
                        # PassageSearch.top: a passage with evidence of its own, scored
                        # with its document's (context[owner]).
                        if not mine > 1e-12:
                            continue
                        v = mine + context[owner[p]]
                    else:
                        v = mine + constant
                    # The entry to beat, once k are held: a better score, or an equal one
                    # of an earlier passage.
                    if not v > floor and not (v == floor and p < floor_p):
                        continue
                    if held < k:
                        best_p[held] = p
                        best_v[held] = v
                        held += 1
                    else:
                        best_p[worst] = p
                        best_v[worst] = v
                    if held == k:
                        worst = 0
                        for n in range(1, k):
                            if best_v[n] < best_v[worst] or (
                                best_v[n] == best_v[worst] and best_p[n] > best_p[worst]
                            ):
                                worst = n
                        floor = best_v[worst]
                        floor_p = best_p[worst]
                cursor[t] = stop[t]
        return best_p[:held], best_v[:held]

    def scores(
        size: int,
        postings: np.ndarray,
        codes: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        idf: np.ndarray,
        weights: np.ndarray,
        numerator: np.ndarray,
        denominator: np.ndarray,
    ) -> np.ndarray:
        out = np.zeros(size, dtype=np.float64)
        table, row = _tables(starts, ends, idf, weights, numerator, denominator)
        for t in range(starts.shape[0]):
            end = ends[t]
            if row[t] >= 0:
                weight_of = table[row[t]]
                for j in range(starts[t], end):
                    out[postings[j]] += weight_of[codes[j]]
            else:
                for j in range(starts[t], end):
                    out[postings[j]] += _weight(numerator, denominator, codes[j], idf[t], weights[t])
        return out

    return {"top_k": jit(top_k), "scores": jit(scores)}


def kernels() -> dict[str, Callable[..., Any]]:
    """The compiled functions (compiled, or loaded from numba's cache, on first call)."""
    if not _COMPILED:
        with _LOCK:
            if not _COMPILED:
                _COMPILED.update(_compile())
    return _COMPILED


def top(
    size: int,
    postings: np.ndarray,
    codes: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    idf: np.ndarray,
    weights: np.ndarray,
    numerator: np.ndarray,
    denominator: np.ndarray,
    constant: float,
    k: int,
) -> list[tuple[int, float]]:
    """(passage, score + constant) of the k best passages holding a term, best first, ties by
    passage number: BM25Index.top's result for the terms whose postings are
    postings[starts[t]:ends[t]], with the given idfs and query weights."""
    arguments = (size, postings, codes, starts, ends, idf, weights, numerator, denominator)
    return _best(*arguments, constant, constant + 1e-12, k, _NO_CONTEXT, _NO_OWNER, False)


def top_with_context(
    size: int,
    postings: np.ndarray,
    codes: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    idf: np.ndarray,
    weights: np.ndarray,
    numerator: np.ndarray,
    denominator: np.ndarray,
    context: np.ndarray,
    owner: np.ndarray,
    k: int,
) -> list[tuple[int, float]]:
    """(passage, evidence + context[owner]) of the k best passages with evidence of their
    own (> 1e-12), best first, ties by passage number: PassageSearch.top for plain terms."""
    arguments = (size, postings, codes, starts, ends, idf, weights, numerator, denominator)
    return _best(*arguments, 0.0, -np.inf, k, context, owner, True)


def _best(*arguments: Any) -> list[tuple[int, float]]:
    """The compiled top_k's passages and values for its `arguments` (BLOCK added), best
    first, ties by passage number."""
    found, values = kernels()["top_k"](*arguments, BLOCK)
    order = np.lexsort((found, -values))
    return list(zip(found[order].tolist(), values[order].tolist(), strict=True))


def scores(
    size: int,
    postings: np.ndarray,
    codes: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    idf: np.ndarray,
    weights: np.ndarray,
    numerator: np.ndarray,
    denominator: np.ndarray,
) -> np.ndarray:
    """Every passage's evidence (score above the baseline) for the same terms as top()."""
    out: np.ndarray = kernels()["scores"](
        size, postings, codes, starts, ends, idf, weights, numerator, denominator
    )
    return out
