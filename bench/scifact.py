"""Retrieval quality on BEIR SciFact: nDCG@10 (trec_eval definition) and Recall@100.

careerbot's retrieval over the SciFact corpus as a careerbot corpus: documents split into
passages, a passage scored by its own BM25 plus its document's, a document ranked by its
best passage. Plain rank-bm25 over whole documents with whitespace tokens runs in the same
program for comparison; published anchors are listed beside them.

    python -m bench.scifact
"""

from __future__ import annotations

import argparse
import math
import time

import rank_bm25

from bench.common import SCIFACT, progress, scifact_qrels, scifact_queries, table
from retrieval import Engine
from retrieval.documents import load_corpus

ANCHORS = [
    ("BEIR paper BM25 (Elasticsearch)", 0.665),
    ("Anserini BM25 flat", 0.679),
    ("bm25s", 0.686),
    ("rank-bm25, Lucene-like analyzer (measured in the issue)", 0.683),
]


def ndcg_at_10(ranked: list[str], relevant: dict[str, int]) -> float:
    """trec_eval ndcg_cut_10: gain = relevance grade, discount log2(rank + 1), ideal from the qrels."""
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_100(ranked: list[str], relevant: dict[str, int]) -> float:
    positive = {d for d, g in relevant.items() if g > 0}
    return len(positive & set(ranked[:100])) / len(positive) if positive else 0.0


def careerbot_rankings(limit: int | None = None) -> tuple[dict[str, list[str]], float, int]:
    started = time.perf_counter()
    engine = Engine.from_corpus(SCIFACT / "corpus.jsonl")
    build = time.perf_counter() - started
    queries, qrels = scifact_queries(), scifact_qrels()
    ids = list(qrels)[:limit]
    rankings: dict[str, list[str]] = {}
    for qid in progress(ids, len(ids), "careerbot"):
        seen: dict[str, None] = {}
        for passage, _ in engine.search.top(engine.synonyms.concepts(queries[qid]), 1000):
            seen.setdefault(engine.passages[passage].doc_id, None)
            if len(seen) >= 100:
                break
        rankings[qid] = list(seen)
    return rankings, build, len(engine.passages)


def whitespace_rankings(limit: int | None = None) -> dict[str, list[str]]:
    docs = load_corpus(SCIFACT / "corpus.jsonl")
    model = rank_bm25.BM25Okapi([f"{d.title} {d.text}".split() for d in docs])
    queries, qrels = scifact_queries(), scifact_qrels()
    ids = list(qrels)[:limit]
    out: dict[str, list[str]] = {}
    for qid in progress(ids, len(ids), "rank-bm25 whitespace"):
        scores = model.get_scores(queries[qid].split())
        order = sorted(range(len(docs)), key=lambda i: -scores[i])[:100]
        out[qid] = [docs[i].id for i in order]
    return out


def evaluate(rankings: dict[str, list[str]]) -> tuple[float, float]:
    qrels = scifact_qrels()
    n = len(rankings)
    return (
        sum(ndcg_at_10(r, qrels[q]) for q, r in rankings.items()) / n,
        sum(recall_at_100(r, qrels[q]) for q, r in rankings.items()) / n,
    )


def run(quick: bool = False) -> str:
    limit = 30 if quick else None
    ours, build, passages = careerbot_rankings(limit)
    nd, rec = evaluate(ours)
    ws_nd, ws_rec = evaluate(whitespace_rankings(limit))
    rows = [
        ("careerbot (passages + document BM25Plus, best passage per doc)", nd, rec),
        ("rank-bm25 BM25Okapi, whitespace tokens, whole documents (same run)", ws_nd, ws_rec),
        *((f"{name} (published)", score, "") for name, score in ANCHORS),
    ]
    queries = len(ours)
    header = f"SciFact test queries: {queries}{' (quick mode: a sample)' if quick else ''}; careerbot index: {passages:,} passages built in {build:.1f} s\n"
    return header + table(["system", "nDCG@10", "Recall@100"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="30 queries only")
    print(run(parser.parse_args().quick))


if __name__ == "__main__":
    main()
