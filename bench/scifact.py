"""Retrieval quality on BEIR SciFact: nDCG@10 (trec_eval definition) and Recall@100.

careerbot's retrieval runs over the SciFact corpus loaded as a careerbot corpus
(Engine.from_corpus on corpus.jsonl): documents split into passages, a passage scored by
its own BM25Plus plus its document's, and a document ranked by its best passage. This is
the search stage of Engine.ask (the no-answer gate and the top-3 choice come after it).

In the same run, for comparison, on whole documents:
- the careerbot analyzer with rank-bm25 BM25Plus (careerbot's document index alone),
- rank-bm25 BM25Okapi with the careerbot analyzer (a Lucene-like analyzer),
- rank-bm25 BM25Okapi with lower-cased whitespace tokens (reproduces the issue's 0.560),
- bm25s, its own defaults (method "lucene", k1 1.5, b 0.75), on careerbot's tokens,
and careerbot's passages without their document's score (what the document score adds).
Published figures are listed beside them. Nothing here is tuned on these queries.

    python -m bench.scifact [--quick]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np
import rank_bm25

from bench.common import SCIFACT, progress, scifact_qrels, scifact_queries, table
from retrieval import Engine
from retrieval.analyzer import tokenize
from retrieval.documents import load_corpus
from retrieval.models import Document

PUBLISHED = [
    ("BEIR paper, BM25 (Elasticsearch)", 0.665),
    ("Anserini BM25 flat", 0.679),
    ("bm25s", 0.686),
    ("rank-bm25, whitespace tokens (measured in the issue)", 0.560),
    ("rank-bm25, Lucene-like analyzer (measured in the issue)", 0.683),
]
DEPTH = 100

Rankings = dict[str, list[str]]


def ndcg_at_10(ranked: list[str], relevant: dict[str, int]) -> float:
    """trec_eval ndcg_cut_10: gain = relevance grade, discount log2(rank + 1), ideal from the qrels."""
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_100(ranked: list[str], relevant: dict[str, int]) -> float:
    positive = {d for d, g in relevant.items() if g > 0}
    return len(positive & set(ranked[:100])) / len(positive) if positive else 0.0


def evaluate(rankings: Rankings) -> tuple[float, float]:
    """Mean (nDCG@10, Recall@100) over the ranked queries."""
    qrels = scifact_qrels()
    n = len(rankings)
    return (
        sum(ndcg_at_10(r, qrels[q]) for q, r in rankings.items()) / n,
        sum(recall_at_100(r, qrels[q]) for q, r in rankings.items()) / n,
    )


def test_queries(limit: int | None) -> list[tuple[str, str]]:
    queries = scifact_queries()
    return [(qid, queries[qid]) for qid in list(scifact_qrels())[:limit]]


def careerbot_rankings(engine: Engine, limit: int | None, passages_only: bool = False) -> Rankings:
    """Documents by their best passage, from the engine's own search (or passage scores alone)."""
    search = engine.search
    owner = search.owner
    doc_ids = [d.id for d in engine.documents]
    rankings: Rankings = {}
    label = "careerbot passages only" if passages_only else "careerbot"
    for qid, text in progress(test_queries(limit), len(test_queries(limit)), label):
        concepts = engine.synonyms.concepts(text)
        if passages_only:
            _, own = search.evidence(concepts)
            order = [
                (int(i), float(own[i])) for i in np.argsort(-own, kind="stable")[:1000] if own[i] > 1e-12
            ]
        else:
            order = search.top(concepts, 1000)
        seen: dict[str, None] = {}
        for passage, _ in order:
            seen.setdefault(doc_ids[int(owner[passage])], None)
            if len(seen) >= DEPTH:
                break
        rankings[qid] = list(seen)
    return rankings


def document_rankings(
    docs: list[Document],
    scorer: Callable[[list[str]], np.ndarray],
    tok: Callable[[str], list[str]],
    limit: int | None,
    label: str,
) -> Rankings:
    """Whole documents ranked by a full score vector (ties in corpus order)."""
    out: Rankings = {}
    for qid, text in progress(test_queries(limit), len(test_queries(limit)), label):
        scores = scorer(tok(text))
        out[qid] = [docs[i].id for i in np.argsort(-scores, kind="stable")[:DEPTH]]
    return out


def bm25s_rankings(docs: list[Document], tokens: list[list[str]], limit: int | None) -> Rankings:
    import bm25s

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in tokens]
    model = bm25s.BM25()  # its defaults: Lucene's idf, k1 1.5, b 0.75
    model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)

    def scores(query: list[str]) -> np.ndarray:
        known = [vocab[t] for t in query if t in vocab]
        return model.get_scores(known) if known else np.zeros(len(docs))

    return document_rankings(docs, scores, tokenize, limit, "bm25s")


def run(quick: bool = False) -> str:
    """Every system's nDCG@10 and Recall@100 (30 queries in quick mode), as a table."""
    limit = 30 if quick else None
    started = time.perf_counter()
    engine = Engine.from_corpus(SCIFACT / "corpus.jsonl")
    build = time.perf_counter() - started
    docs = load_corpus(SCIFACT / "corpus.jsonl")
    analyzed = [tokenize(f"{d.title} {d.text}") for d in docs]
    whitespace = lambda text: text.lower().split()  # noqa: E731
    okapi_analyzed = rank_bm25.BM25Okapi(analyzed)
    okapi_whitespace = rank_bm25.BM25Okapi([whitespace(f"{d.title} {d.text}") for d in docs])
    same_run = [
        (
            "careerbot: passage + document BM25Plus, best passage per document",
            careerbot_rankings(engine, limit),
        ),
        (
            "careerbot passages alone (no document score)",
            careerbot_rankings(engine, limit, passages_only=True),
        ),
        (
            "careerbot analyzer + rank-bm25 BM25Plus, whole documents",
            document_rankings(
                list(engine.documents), engine.search.documents.scores, tokenize, limit, "documents BM25Plus"
            ),
        ),
        (
            "careerbot analyzer + rank-bm25 BM25Okapi, whole documents",
            document_rankings(docs, okapi_analyzed.get_scores, tokenize, limit, "documents BM25Okapi"),
        ),
        ("careerbot analyzer + bm25s defaults, whole documents", bm25s_rankings(docs, analyzed, limit)),
        (
            "rank-bm25 BM25Okapi, lower-cased whitespace tokens, whole documents",
            document_rankings(docs, okapi_whitespace.get_scores, whitespace, limit, "whitespace BM25Okapi"),
        ),
    ]
    rows: list[tuple[object, ...]] = [(name, *evaluate(r), "this run") for name, r in same_run]
    rows += [(name, score, float("nan"), "published / issue") for name, score in PUBLISHED]
    queries = len(same_run[0][1])
    header = (
        f"SciFact test queries: {queries}{' (quick mode: the first 30)' if quick else ''}; "
        f"careerbot index: {len(engine.documents):,} documents, {len(engine.passages):,} passages, "
        f"built in {build:.1f} s\n\n"
    )
    return header + table(["system", "nDCG@10", "Recall@100", "source"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="the first 30 test queries only")
    print(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
