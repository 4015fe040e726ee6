"""The compiled search loops (retrieval.kernels) give top()'s numpy results, bit for bit.

BM25Index.top uses them from KERNEL_MIN_PASSAGES passages on; here the threshold is
lowered so the same corpora and queries go through both paths and are compared result
for result: passage numbers, order (ties by passage number) and the float64 scores'
exact bits, for plain and weighted queries and for every k.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from retrieval import Engine
from retrieval import index as index_module
from retrieval.index import BM25Index
from retrieval.search import PassageSearch
from retrieval.synonyms import Concept
from tests.retrieval.test_index_scale import naive_top, queries, zipf_corpus


def both_paths(
    monkeypatch: pytest.MonkeyPatch, index: BM25Index, query: list[str] | dict[str, float], k: int
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 10**12)
    plain = index.top(query, k)
    monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 0)
    compiled = index.top(query, k)
    return plain, compiled


@pytest.mark.parametrize("seed", [51, 52])
def test_compiled_top_is_numpys_bit_for_bit(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    index = BM25Index.build(zipf_corpus(seed, 5_000))
    # Terms with more postings than (tf, length) codes are weighed through a per-code table,
    # the others posting by posting: both kinds occur here.
    dfs = np.diff(index.indptr)
    assert (dfs >= index.code_tf.shape[0]).any() and (dfs < index.code_tf.shape[0]).any()
    rng = random.Random(seed)
    compared = 0
    for query in queries(seed, 40):
        weighted = {t: rng.choice([1.0, 0.5, 2.0, 0.3]) for t in query}
        for q in (query, weighted):
            for k in (1, 3, 10, 100):
                plain, compiled = both_paths(monkeypatch, index, q, k)
                assert [i for i, _ in compiled] == [i for i, _ in plain]
                assert np.array(compiled).tobytes() == np.array(plain).tobytes()
                compared += bool(plain)
    assert compared > 200  # most queries hold corpus terms: the comparison is not vacuous


def test_compiled_top_is_the_naive_sort_with_ties(monkeypatch: pytest.MonkeyPatch) -> None:
    # zipf_corpus copies passages, so equal scores occur; they must come in passage order.
    monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 0)
    index = BM25Index.build(zipf_corpus(53, 4_000))
    for query in queries(53, 40):
        scores = index.scores(query)
        floor = index.baseline(query)
        for k in (1, 10, 50):
            got = index.top(query, k)
            assert [i for i, _ in got] == naive_top(scores, scores > floor + 1e-12, k)


def test_compiled_top_of_unknown_terms_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 0)
    index = BM25Index.build([["alpha", "beta"], ["beta", "gamma"]])
    assert index.top(["delta"], 5) == []
    assert [i for i, _ in index.top(["gamma", "delta"], 5)] == [1]


def test_compiled_top_across_many_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Scores are kept one block of passages at a time; blocks far smaller than the corpus
    # (and not dividing it) must change nothing.
    from retrieval import kernels

    index = BM25Index.build(zipf_corpus(54, 3_001))
    for query in queries(54, 30):
        monkeypatch.setattr(kernels, "BLOCK", 1 << 14)
        whole = both_paths(monkeypatch, index, query, 10)
        monkeypatch.setattr(kernels, "BLOCK", 97)
        blocked = both_paths(monkeypatch, index, query, 10)
        assert (
            np.array(blocked[1]).tobytes() == np.array(whole[0]).tobytes() == np.array(blocked[0]).tobytes()
        )


def test_compiled_top_on_a_saved_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A loaded index serves its postings from memory maps (read-only arrays): the same hits.
    corpus = Path(__file__).parents[1] / "data" / "handbook"
    built = Engine.from_corpus(corpus)
    built.save(tmp_path / "index")
    loaded = Engine.load(tmp_path / "index", corpus)
    index = loaded.search.passages
    terms = list(index.vocabulary)
    queries_ = [terms[n : n + 3] for n in range(0, len(terms) - 3, max(1, len(terms) // 40))]
    expected = [built.search.passages.top(q, 5) for q in queries_]  # numpy, the built index
    monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 0)
    assert all(expected)
    assert [index.top(q, 5) for q in queries_] == expected


def test_compiled_evidence_is_numpys_bit_for_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    index = BM25Index.build(zipf_corpus(56, 4_000))
    rng = random.Random(56)
    for query in queries(56, 30):
        weighted = {t: rng.choice([1.0, 0.25, 3.0]) for t in query}
        monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 10**12)
        plain = index.evidence(weighted)
        monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 0)
        compiled = index.evidence(weighted)
        assert compiled.tobytes() == plain.tobytes()


def test_warm_compiles_only_for_a_large_index(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval import kernels

    index = BM25Index.build(zipf_corpus(57, 500))
    calls: list[str] = []
    monkeypatch.setattr(kernels, "top", lambda *a: calls.append("top") or [])
    monkeypatch.setattr(kernels, "scores", lambda size, *a: calls.append("scores") or np.zeros(size))
    index.warm()
    assert calls == []  # 500 passages: numpy serves it, numba is not even needed
    monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 100)
    index.warm()
    assert calls == ["top", "scores"]


def test_compiled_passage_search_is_numpys(monkeypatch: pytest.MonkeyPatch) -> None:
    # PassageSearch.top (passage + document evidence) through the kernels: the same hits,
    # plain and weighted; a concept with alternatives keeps the numpy path.
    rng = random.Random(58)
    passages = zipf_corpus(58, 3_000)
    owner = sorted(rng.randrange(400) for _ in passages)
    documents = [
        [t for n, p in enumerate(passages) if owner[n] == d for t in p] or ["w0"] for d in range(400)
    ]
    search = PassageSearch.build(passages, documents, owner)
    compared = 0
    for query in queries(58, 30):
        concepts = [Concept(terms=(t,)) for t in dict.fromkeys(query)]
        weights = [rng.choice([1.0, 0.5, 2.0]) for _ in concepts]
        for k in (1, 5, 30):
            for w in (None, weights):
                monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 10**12)
                plain = search.top(concepts, k, w)
                monkeypatch.setattr(index_module, "KERNEL_MIN_PASSAGES", 0)
                assert np.array(search.top(concepts, k, w)).tobytes() == np.array(plain).tobytes()
                compared += bool(plain)
    assert compared > 100
