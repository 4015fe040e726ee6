"""BM25 index: a hand-computed oracle, exact rankings, and equality with rank-bm25."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import rank_bm25

from retrieval.index import BM25Index

TINY = [
    ["machin", "learn", "engin", "model"],
    ["softwar", "engin", "system", "design", "system"],
    ["data", "scientist", "model", "busi"],
]


def test_hand_computed_bm25plus_score() -> None:
    index = BM25Index.build(TINY, k1=1.2, b=0.75, delta=1.0)
    # "system" occurs twice in passage 1 (length 5) and nowhere else; N = 3, avgdl = 13/3.
    idf = math.log((3 + 1) / 1)
    norm = 1.2 * (1 - 0.75 + 0.75 * 5 / (13 / 3))
    expected = idf * (1.0 + 2 * 2.2 / (norm + 2))
    scores = index.scores(["system"])
    assert scores[1] == pytest.approx(expected, abs=1e-12)
    # rank-bm25 adds idf*delta to passages without the term too: kept for identical scores.
    assert scores[0] == pytest.approx(idf * 1.0, abs=1e-12)
    assert index.baseline(["system"]) == pytest.approx(idf, abs=1e-12)


def test_exact_ranking_on_small_corpus() -> None:
    index = BM25Index.build(TINY)
    assert [i for i, _ in index.top(["model"], 3)] == [0, 2]  # shorter passage first at equal tf
    assert [i for i, _ in index.top(["engin", "system"], 3)] == [1, 0]
    assert index.top(["unknown"], 3) == []  # no zero-score passages, unlike get_top_n


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scores_equal_rank_bm25(seed: int) -> None:
    rng = random.Random(seed)
    vocab = [f"t{i}" for i in range(80)]
    corpus = [
        [rng.choice(vocab[: rng.randint(3, 80)]) for _ in range(rng.randint(1, 40))] for _ in range(300)
    ]
    index = BM25Index.build(corpus)
    oracle = rank_bm25.BM25Plus(corpus, k1=1.2, b=0.75, delta=1.0)
    for _ in range(20):
        query = [rng.choice(vocab + ["never-seen"]) for _ in range(rng.randint(1, 6))]
        np.testing.assert_allclose(index.scores(query), oracle.get_scores(query), rtol=0, atol=1e-6)
    # The reference model rebuilt from the index is the same model.
    rebuilt = rank_bm25.BM25Plus(index.reference_corpus(), k1=1.2, b=0.75, delta=1.0)
    np.testing.assert_allclose(rebuilt.get_scores(["t1", "t2"]), oracle.get_scores(["t1", "t2"]), atol=1e-9)


def test_weighted_query_is_linear() -> None:
    index = BM25Index.build(TINY)
    combined = index.scores({"model": 1.0, "engin": 0.5})
    np.testing.assert_allclose(combined, index.scores(["model"]) + 0.5 * index.scores(["engin"]), atol=1e-12)


def test_contains_and_idf() -> None:
    index = BM25Index.build(TINY)
    assert index.contains("system", 1) and not index.contains("system", 0)
    assert not index.contains("unknown", 0)
    assert index.term_idf("unknown") == pytest.approx(math.log(4))


def test_empty_corpus_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        BM25Index.build([])
