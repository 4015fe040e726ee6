"""Speed and scale: per-question latency, build time and peak memory at 1k..1M passages.

Four engines score the same tokens, each size and engine in a fresh subprocess (so a
peak-memory figure is that engine's own):

- careerbot: retrieval.index.BM25Index (rank-bm25's BM25Plus formula from CSR postings), top 10;
- rank-bm25 BM25Plus: the scorer of record, get_scores over every passage, then the top 10;
- rank-bm25 BM25Okapi: plain rank-bm25 as most people use it (the same walk over every passage);
- bm25s with method "bm25+", k1 1.2, b 0.75, delta 1: the same formula, so its scores can
  be checked against rank-bm25 too; twice: its default numpy backend, and its numba
  backend ("bm25s numba"), since careerbot's own large-index search is numba-compiled;
- careerbot ask(): the whole `Engine.ask` a user's question goes through (chat cleaning,
  spelling, concepts, passage + document search, the gate, hit selection) with the bot's
  default of 3 hits, on the
  same passages as raw text (one JSONL document each, built by `Engine.from_corpus`); its
  build column is the whole raw-text build, not the index alone.

Corpora are built deterministically from SciFact's sentences (analyzed with careerbot's
analyzer): each passage joins three sentences drawn by a seeded generator, never the same
three twice, so passages are distinct at any size. The workload is SciFact's 300 test
queries, after 3 warm-up queries. rank-bm25 costs seconds per question at 1M passages,
so there it answers a sample of the queries (the table says how many).

Same scores: the rank-bm25 BM25Plus run saves its scores for the first queries, and the
careerbot and bm25s runs report their largest difference from them.

    python -m bench.scale                          # 1k, 10k, 100k, 1M (about 15 minutes)
    python -m bench.scale --sizes 1000 10000 --queries 50
    python -m bench.scale --chart docs/latency.png
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.common import (
    OUT,
    SCIFACT,
    Bar,
    interactive,
    memory_mb,
    percentile,
    progress,
    reset_peak_memory,
    scifact_test_questions,
    table,
)
from retrieval.analyzer import tokenize
from retrieval.passages import split_sentences

DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000)
ENGINES = (
    "careerbot",
    "careerbot ask()",
    "rank-bm25 BM25Plus",
    "rank-bm25 BM25Okapi",
    "bm25s",
    "bm25s numba",
)
# Order of the runs at each size: the scorer of record first, so its scores are on disk
# for the others to compare with.
RUN_ORDER = (
    "rank-bm25 BM25Plus",
    "rank-bm25 BM25Okapi",
    "bm25s",
    "bm25s numba",
    "careerbot",
    "careerbot ask()",
)
# rank-bm25 walks every passage per query term: ~0.3 s per question at 100k, ~3 s at 1M.
RANK_BM25_QUERIES = {100_000: 100, 1_000_000: 20}
# The ask() row builds from raw text (sentence splitting, near-duplicates, analysis): up to
# the 100k of its bar; a 1M raw-text build is bench/startup.py's (issue 15's) measurement.
ASK_MAX_SIZE = 100_000
CHECKED_QUERIES = 5
WARM_UP = 3
TOP_K = 10
SEED = 20261122


def sentence_tokens() -> list[list[str]]:
    """Analyzed tokens of every SciFact sentence (the material passages are built from)."""
    return [tokens for tokens, _ in _sentences()]


def sentence_texts() -> list[str]:
    """The raw text of the same sentences, in the same order (for the ask() row)."""
    return [text for _, text in _sentences()]


def _sentences() -> list[tuple[list[str], str]]:
    out: list[tuple[list[str], str]] = []
    lines = (SCIFACT / "corpus.jsonl").read_text().splitlines()
    for line in progress(lines, len(lines), "analyzing SciFact"):
        doc = json.loads(line)
        for sentence in split_sentences(f"{doc['title']}. {doc['text']}"):
            tokens = tokenize(sentence)
            if tokens:
                out.append((tokens, sentence))
    return out


def build_corpus(size: int, sentences: list[list[str]]) -> list[list[str]]:
    """`size` distinct passages of three sentences' tokens each, the same for a given size every run."""
    return [sentences[a] + sentences[b] + sentences[c] for a, b, c in draws(size, len(sentences))]


def build_texts(size: int, sentences: list[str]) -> list[str]:
    """The same passages as build_corpus() as raw text (the sentences joined with spaces)."""
    return [f"{sentences[a]} {sentences[b]} {sentences[c]}" for a, b, c in draws(size, len(sentences))]


def draws(size: int, n: int) -> list[tuple[int, int, int]]:
    """`size` distinct triples of sentence numbers below n, seeded by the size."""
    rng = random.Random(SEED + size)
    seen: set[tuple[int, int, int]] = set()
    triples: list[tuple[int, int, int]] = []
    bar = Bar(size, f"corpus {size:,}")
    while len(triples) < size:
        triple = (rng.randrange(n), rng.randrange(n), rng.randrange(n))
        if triple in seen:
            continue
        seen.add(triple)
        triples.append(triple)
        bar.update(len(triples))
    bar.close()
    return triples


def reference_file(size: int) -> Path:
    return OUT / f"scale-reference-{size}.npy"


def measure(engine: str, size: int, n_queries: int) -> dict:
    """Runs in a subprocess: build one engine over `size` passages and time the queries."""
    if engine == "careerbot ask()":
        return measure_ask(size, n_queries)
    corpus = build_corpus(size, sentence_tokens())
    questions = [tokenize(q) for q in scifact_test_questions()]
    warm_up, queries = questions[:WARM_UP], questions[:n_queries]
    gc.collect()
    before, _ = memory_mb()
    reset_peak_memory()
    started = time.perf_counter()
    search, scores = _build(engine, corpus)
    build = time.perf_counter() - started
    _, build_peak = memory_mb()
    del corpus
    for query in warm_up:
        search(query)
    latencies = []
    for query in progress(queries, len(queries), f"{engine} {size:,} queries"):
        t0 = time.perf_counter()
        search(query)
        latencies.append((time.perf_counter() - t0) * 1000)
    _, peak = memory_mb()
    checked = questions[:CHECKED_QUERIES]
    difference = float("nan")
    if engine == "rank-bm25 BM25Plus":
        OUT.mkdir(parents=True, exist_ok=True)
        np.save(reference_file(size), np.stack([scores(q) for q in checked]))
    elif scores is not None and reference_file(size).exists():
        reference = np.load(reference_file(size), allow_pickle=False)
        difference = max(
            float(np.abs(scores(q) - ref).max()) for q, ref in zip(checked, reference, strict=True)
        )
    return {
        "engine": engine,
        "size": size,
        "build_s": build,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "build_mb": build_peak - before,
        "peak_mb": peak,
        "queries": len(latencies),
        "max_abs_diff": difference,
    }


def measure_ask(size: int, n_queries: int) -> dict:
    """The ask() row: the same passages as raw text, built and asked through the Engine."""
    import tempfile

    from retrieval import Engine

    texts = build_texts(size, sentence_texts())
    questions = scifact_test_questions()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for n, text in enumerate(texts):
                out.write(json.dumps({"id": f"p{n}", "title": f"Passage {n}", "text": text}) + "\n")
        del texts
        gc.collect()
        before, _ = memory_mb()
        reset_peak_memory()
        started = time.perf_counter()
        engine = Engine.from_corpus(path)
        engine.warm()
        build = time.perf_counter() - started
        _, build_peak = memory_mb()
    for question in questions[:WARM_UP]:
        engine.ask(question)
    latencies = []
    for question in progress(questions[:n_queries], n_queries, f"ask() {size:,} queries"):
        t0 = time.perf_counter()
        engine.ask(question)  # the bot's default: 3 hits
        latencies.append((time.perf_counter() - t0) * 1000)
    _, peak = memory_mb()
    return {
        "engine": "careerbot ask()",
        "size": size,
        "passages": len(engine.passages),
        "build_s": build,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "build_mb": build_peak - before,
        "peak_mb": peak,
        "queries": len(latencies),
        "max_abs_diff": float("nan"),
    }


Search = Callable[[list[str]], object]
Scores = Callable[[list[str]], np.ndarray] | None


def _build(engine: str, corpus: list[list[str]]) -> tuple[Search, Scores]:
    """(top-10 search, full score vector or None) of one engine over the corpus."""
    label = f"{engine} {len(corpus):,} build"
    if engine == "careerbot":
        from retrieval.index import BM25Index

        bar = Bar(len(corpus), label)
        index = BM25Index.build(corpus, progress=bar.update)
        bar.close()
        return (lambda q: index.top(q, TOP_K)), index.scores
    if engine.startswith("rank-bm25"):
        import rank_bm25

        tokens = progress(corpus, len(corpus), label)
        if engine.endswith("BM25Okapi"):
            model = rank_bm25.BM25Okapi(tokens, k1=1.2, b=0.75)
        else:
            model = rank_bm25.BM25Plus(tokens, k1=1.2, b=0.75, delta=1.0)

        def top(q: list[str]) -> object:
            scores = model.get_scores(q)
            best = np.argpartition(-scores, TOP_K)[:TOP_K]
            return best[np.argsort(-scores[best])]

        # Only BM25Plus has careerbot's formula; Okapi's scores are not compared.
        return top, (None if engine.endswith("BM25Okapi") else model.get_scores)
    import bm25s

    backend = "numba" if engine.endswith("numba") else "numpy"
    model = bm25s.BM25(method="bm25+", k1=1.2, b=0.75, delta=1.0, backend=backend)
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
    model.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=interactive())
    del ids

    def known(q: list[str]) -> list[int]:
        return [vocab[t] for t in q if t in vocab]

    def top(q: list[str]) -> object:
        return model.retrieve([known(q) or [0]], k=TOP_K, show_progress=False, n_threads=1)

    return top, lambda q: model.get_scores(known(q)) if known(q) else np.zeros(model.scores["num_docs"])


def queries_for(engine: str, size: int, n_queries: int) -> int:
    if engine.startswith("rank-bm25"):
        return min(n_queries, RANK_BM25_QUERIES.get(size, n_queries))
    return n_queries


def run(sizes: list[int], n_queries: int) -> tuple[str, list[dict]]:
    """Measure every engine at every size (a subprocess each); (Markdown table, raw results)."""
    results: list[dict] = []
    for size in sizes:
        for engine in RUN_ORDER:
            if engine == "careerbot ask()" and size > ASK_MAX_SIZE:
                continue
            queries = queries_for(engine, size, n_queries)
            proc = subprocess.run(
                [sys.executable, "-m", "bench.scale", "--one", engine, str(size), str(queries)],
                stdout=subprocess.PIPE,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                results.append({"engine": engine, "size": size, "failed": f"exit {proc.returncode}"})
                continue
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        reference_file(size).unlink(missing_ok=True)
    results.sort(key=lambda r: (r["size"], ENGINES.index(r["engine"])))
    rows = []
    for r in results:
        if "failed" in r:
            rows.append((r["size"], r["engine"], *[float("nan")] * 5, "", f"failed ({r['failed']})"))
            continue
        note = f"{r['queries']} queries"
        if r["engine"] == "careerbot ask()":
            note += f", the whole ask(); the texts split into {r['passages']:,} passages"
        if r["queries"] < n_queries:
            note = f"{r['queries']} of {n_queries} queries (sample)"
        diff = r["max_abs_diff"]
        rows.append(
            (
                r["size"],
                r["engine"],
                r["p50_ms"],
                r["p99_ms"],
                r["build_s"],
                r["build_mb"],
                r["peak_mb"],
                "reference"
                if r["engine"] == "rank-bm25 BM25Plus"
                else ("" if diff != diff else f"{diff:.1e}"),
                note,
            )
        )
    headers = [
        "passages",
        "engine",
        "p50 ms",
        "p99 ms",
        "build s",
        "build +MB",
        "peak MB",
        "max score diff",
        "note",
    ]
    return table(headers, rows), results


def chart(results: list[dict], path: Path) -> None:
    """p50 latency against corpus size, log-log, one line per engine (p50..p99 shaded)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for engine, style in zip(ENGINES, ("o-", "x-", "s--", "^:", "d-", "v-"), strict=True):
        points = sorted(
            (r["size"], r["p50_ms"], r["p99_ms"]) for r in results if r["engine"] == engine and "p50_ms" in r
        )
        if not points:
            continue
        sizes, p50, p99 = zip(*points, strict=True)
        (line,) = ax.plot(sizes, p50, style, label=engine, linewidth=1.6)
        ax.fill_between(sizes, p50, p99, color=line.get_color(), alpha=0.12)
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
    ax.annotate(
        "target p50 1 ms at 100k",
        (1_000, 1.0),
        textcoords="offset points",
        xytext=(2, 3),
        fontsize=8,
        color="grey",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("passages")
    ax.set_ylabel("latency per question, ms (line p50, band to p99)")
    ax.set_title("BM25 top-10 latency vs corpus size (SciFact queries, 2 cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--queries", type=int, default=300, help="SciFact test queries per engine (max 300)")
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
