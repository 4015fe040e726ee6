"""Speed and scale: per-question latency, build time and peak memory at 1k..1M passages.

Each size runs in a fresh subprocess (so peak memory is that size's own), with three
engines on the same tokens: careerbot's BM25Index (rank-bm25's BM25Plus formula from an
inverted index), plain rank-bm25 (get_scores over all passages, the scorer of record), and
bm25s. Corpora are built deterministically from SciFact's sentences: each passage joins
three sentences picked by a seeded generator, so passages are distinct at any size.

    python -m bench.scale                 # 1k, 10k, 100k, 1M
    python -m bench.scale --sizes 1000 10000 --queries 50
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.common import OUT, SCIFACT, percentile, progress, scifact_queries, table
from retrieval.analyzer import tokenize
from retrieval.passages import split_sentences

DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000)
RANK_BM25_MAX = 100_000  # beyond this its per-question walk over every passage takes seconds
SEED = 20261122


def sentence_tokens() -> list[list[str]]:
    """Analyzed tokens of every SciFact sentence (the material passages are built from)."""
    out: list[list[str]] = []
    for line in (SCIFACT / "corpus.jsonl").read_text().splitlines():
        doc = json.loads(line)
        for sentence in split_sentences(f"{doc['title']}. {doc['text']}"):
            tokens = tokenize(sentence)
            if tokens:
                out.append(tokens)
    return out


def build_corpus(size: int, sentences: list[list[str]]) -> list[list[str]]:
    rng = random.Random(SEED + size)
    n = len(sentences)
    return [
        sentences[rng.randrange(n)] + sentences[rng.randrange(n)] + sentences[rng.randrange(n)]
        for _ in range(size)
    ]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(engine: str, size: int, n_queries: int) -> dict:
    """Runs in a subprocess: build one engine over `size` passages and time the queries."""
    corpus = build_corpus(size, sentence_tokens())
    queries = [tokenize(q) for q in list(scifact_queries().values())[:n_queries]]
    base_rss = peak_rss_mb()
    started = time.perf_counter()
    if engine == "careerbot":
        from retrieval.index import BM25Index

        index = BM25Index.build(corpus)
        search = lambda q: index.top(q, 10)  # noqa: E731
    elif engine == "rank-bm25":
        import rank_bm25

        model = rank_bm25.BM25Plus(corpus, k1=1.2, b=0.75, delta=1.0)
        search = lambda q: np.argpartition(-model.get_scores(q), 10)[:10]  # noqa: E731
    else:
        import bm25s

        model = bm25s.BM25(k1=1.2, b=0.75)
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
        model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)

        def search(q: list[str]) -> object:
            known = [vocab[t] for t in q if t in vocab] or [0]
            return model.retrieve([known], k=10, show_progress=False, n_threads=1)

    build = time.perf_counter() - started
    del corpus
    latencies = []
    for query in progress(queries, len(queries), f"{engine} {size:,}"):
        t0 = time.perf_counter()
        search(query)
        latencies.append((time.perf_counter() - t0) * 1000)
    return {
        "engine": engine,
        "size": size,
        "build_s": build,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "peak_mb": peak_rss_mb(),
        "index_mb": peak_rss_mb() - base_rss,
        "queries": len(latencies),
    }


def run(sizes: list[int], n_queries: int) -> tuple[str, list[dict]]:
    results: list[dict] = []
    for size in sizes:
        for engine in ("careerbot", "rank-bm25", "bm25s"):
            if engine == "rank-bm25" and size > RANK_BM25_MAX:
                results.append(
                    {"engine": engine, "size": size, "skipped": f"skipped above {RANK_BM25_MAX:,}"}
                )
                continue
            queries = n_queries if engine != "rank-bm25" or size < 100_000 else min(n_queries, 50)
            proc = subprocess.run(
                [sys.executable, "-m", "bench.scale", "--one", engine, str(size), str(queries)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                results.append(
                    {"engine": engine, "size": size, "skipped": f"failed: {proc.stderr.strip()[-200:]}"}
                )
                continue
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            sys.stderr.write(proc.stderr)
    rows = []
    for r in results:
        if "skipped" in r:
            rows.append((f"{r['size']:,}", r["engine"], "", "", "", "", r["skipped"]))
        else:
            rows.append(
                (
                    f"{r['size']:,}",
                    r["engine"],
                    r["p50_ms"],
                    r["p99_ms"],
                    r["build_s"],
                    r["peak_mb"],
                    f"{r['queries']} queries",
                )
            )
    return table(["passages", "engine", "p50 ms", "p99 ms", "build s", "peak MB", "note"], rows), results


def chart(results: list[dict], path: Path) -> None:
    """Latency against corpus size, log-log, one line per engine."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for engine in ("careerbot", "rank-bm25", "bm25s"):
        points = [(r["size"], r["p50_ms"]) for r in results if r["engine"] == engine and "p50_ms" in r]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=engine)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("passages")
    ax.set_ylabel("p50 latency per question (ms)")
    ax.set_title("Query latency vs corpus size (2 cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--chart", type=Path, help="write the latency chart (PNG) here")
    parser.add_argument("--one", nargs=3, metavar=("ENGINE", "SIZE", "QUERIES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), int(args.one[2]))))
        return
    text, results = run(args.sizes, args.queries)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "scale.json").write_text(json.dumps(results, indent=1))
    if args.chart:
        chart(results, args.chart)


if __name__ == "__main__":
    main()
