"""The fast paths at a realistic scale: same scores as rank-bm25, same rankings as a naive sort.

BM25Index.top and PassageSearch.top select among the passages holding a query term
rather than among every passage; these tests check that against the plain definition
(score every passage, sort by score then passage number) on corpora of thousands of
passages with a Zipf-like vocabulary and deliberate ties.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import rank_bm25

from retrieval import index as index_module
from retrieval.index import BM25Index, best_k, best_k_dense
from retrieval.search import PassageSearch
from retrieval.synonyms import Concept


def zipf_corpus(seed: int, passages: int, vocabulary: int = 3_000) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocabulary)]
    weights = [1 / (rank + 1) for rank in range(vocabulary)]
    corpus = [rng.choices(words, weights, k=rng.randint(5, 60)) for _ in range(passages)]
    # Exact copies of some passages: equal scores whose order must be passage order.
    for _ in range(passages // 50):
        corpus[rng.randrange(passages)] = list(corpus[rng.randrange(passages)])
    return corpus


def queries(seed: int, n: int, vocabulary: int = 3_000) -> list[list[str]]:
    rng = random.Random(seed)
    return [
        [f"w{min(int(rng.paretovariate(0.6)), vocabulary + 5)}" for _ in range(rng.randint(1, 8))]
        for _ in range(n)
    ]


def naive_top(scores: np.ndarray, eligible: np.ndarray, k: int) -> list[int]:
    order = sorted(np.flatnonzero(eligible).tolist(), key=lambda i: (-scores[i], i))
    return order[:k]


@pytest.mark.parametrize("seed", [11, 12])
def test_scores_equal_rank_bm25_on_thousands_of_passages(seed: int) -> None:
    corpus = zipf_corpus(seed, 4_000)
    index = BM25Index.build(corpus)
    oracle = rank_bm25.BM25Plus(corpus, k1=1.2, b=0.75, delta=1.0)
    for query in queries(seed, 15):
        np.testing.assert_allclose(index.scores(query), oracle.get_scores(query), rtol=0, atol=1e-6)


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_top_is_the_naive_sort_ties_in_passage_order(seed: int) -> None:
    index = BM25Index.build(zipf_corpus(seed, 5_000))
    for query in queries(seed, 40):
        scores = index.scores(query)
        floor = index.baseline(query)
        for k in (1, 10, 100):
            got = index.top(query, k)
            assert [i for i, _ in got] == naive_top(scores, scores > floor + 1e-12, k)
            assert [s for _, s in got] == [float(scores[i]) for i, _ in got]


def test_vocabulary_in_order_of_first_occurrence() -> None:
    corpus = zipf_corpus(5, 2_000)
    index = BM25Index.build(corpus)
    first: dict[str, int] = {}
    for tokens in corpus:
        for token in tokens:
            first.setdefault(token, len(first))
    assert index.vocabulary == first


def test_build_in_small_chunks_is_the_same_index(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = zipf_corpus(7, 1_000)
    whole = BM25Index.build(corpus)
    monkeypatch.setattr(index_module, "BUILD_CHUNK", 64)
    seen: list[int] = []
    chunked = BM25Index.build(corpus, progress=seen.append)
    assert seen == [*range(64, 1_000, 64), 1_000]
    assert chunked.vocabulary == whole.vocabulary
    for name, array in whole.arrays().items():
        np.testing.assert_array_equal(chunked.arrays()[name], array)


def test_contains_many_agrees_with_contains() -> None:
    corpus = zipf_corpus(6, 3_000)
    index = BM25Index.build(corpus)
    passages = np.array(sorted(random.Random(6).sample(range(3_000), 200)))
    for term in ["w0", "w1", "w50", "w2999", "never-seen"]:
        many = index.contains_many(term, passages)
        assert many.tolist() == [index.contains(term, int(p)) for p in passages]
        assert many.tolist() == [term in corpus[int(p)] for p in passages]


@pytest.mark.parametrize("seed", [31, 32])
def test_passage_search_top_is_the_naive_sort(seed: int) -> None:
    passages = zipf_corpus(seed, 4_000)
    owner = [n // 4 for n in range(len(passages))]  # four passages per document
    documents = [sum(passages[d * 4 : d * 4 + 4], []) for d in range(1_000)]
    search = PassageSearch.build(passages, documents, owner)
    rng = random.Random(seed)
    for query in queries(seed, 30):
        concepts = [Concept(terms=(t,), alternatives=()) for t in query]
        if rng.random() < 0.5:  # a synonym concept: dis-max over two phrasings
            concepts.append(Concept(terms=("w3",), alternatives=(("w7", "w8"),)))
        combined, own = search.evidence(concepts)
        for k in (1, 30, 1_000):
            got = search.top(concepts, k)
            assert [i for i, _ in got] == naive_top(combined, own > 1e-12, k)
            assert [s for _, s in got] == [float(combined[i]) for i, _ in got]


@pytest.mark.parametrize("sampled", [1 << 30, 8])  # a sampled floor first, on every long vector
def test_selection_with_many_ties_and_a_floor(monkeypatch: pytest.MonkeyPatch, sampled: int) -> None:
    monkeypatch.setattr(index_module, "SAMPLED_SELECTION", sampled)
    monkeypatch.setattr(index_module, "SAMPLE_STRIDE", 3)
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(1, 400))
        scores = rng.choice([0.0, 1.0, 2.0, 2.5], size=n)  # few distinct values: ties everywhere
        for k in (1, 3, 10, n, n + 5):
            for above in (-np.inf, 0.5, 2.0):
                expected = naive_top(scores, scores > above, k)
                got = best_k_dense(scores, k, above)
                assert [i for i, _ in got] == expected
                candidates = np.flatnonzero(scores > above)
                assert [i for i, _ in best_k(candidates, scores[candidates], k)] == expected
        spread = rng.normal(size=n) * rng.integers(0, 2, size=n)  # distinct values and zeros
        for k in (1, 3, 10):
            expected = naive_top(spread, spread > 0.1, k)
            assert [i for i, _ in best_k_dense(spread, k, 0.1)] == expected


@pytest.mark.parametrize("dense", [0, 10**9])
def test_top_selects_the_same_among_candidates_or_densely(
    monkeypatch: pytest.MonkeyPatch, dense: int
) -> None:
    # top() picks among the postings or partitions the whole vector, by their sizes; both
    # must be the naive sort.
    monkeypatch.setattr(index_module, "DENSE_SELECTION", dense)
    index = BM25Index.build(zipf_corpus(31, 4_000))
    for query in queries(31, 40):
        scores = index.scores(query)
        floor = index.baseline(query)
        for k in (1, 3, 10, 50):
            got = index.top(query, k)
            assert [i for i, _ in got] == naive_top(scores, scores > floor + 1e-12, k)
            assert [s for _, s in got] == [float(scores[i]) for i, _ in got]


def test_term_weights_from_the_code_table_are_the_same_bits() -> None:
    index = BM25Index.build(zipf_corpus(41, 3_000))
    n_codes = index.code_tf.shape[0]
    dfs = np.diff(index.indptr)
    assert (dfs >= n_codes).any() and (dfs < n_codes).any()  # both ways are used
    for tid in range(len(index.vocabulary)):
        codes = index.codes[index.indptr[tid] : index.indptr[tid + 1]]
        direct = index._numerator.take(codes) * index.idf[tid] / index._denominator.take(codes)
        assert index.term_weights(tid).tobytes() == direct.tobytes()


def test_saved_vocabulary_is_in_term_order_whatever_the_dict_order() -> None:
    index = BM25Index.build(zipf_corpus(43, 200))
    expected = json.loads(bytes(index.arrays()["vocabulary"]).decode())
    assert [index.vocabulary[t] for t in expected] == list(range(len(expected)))
    index.vocabulary = dict(reversed(list(index.vocabulary.items())))
    assert json.loads(bytes(index.arrays()["vocabulary"]).decode()) == expected
