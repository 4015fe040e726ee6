"""Each benchmark program runs in quick mode on tiny inputs and prints its table (no timing asserts)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench import insight, scale, scifact, slack_load, startup, suggest
from bench.common import ROOT, percentile, table


def values(text: str) -> dict[str, str]:
    """A two-column Markdown table as {first column: second column}."""
    rows = [line.strip("| ").split(" | ") for line in text.splitlines() if line.startswith("| ")][1:]
    return {row[0].strip(): row[1].strip() for row in rows}


def test_table_and_percentile_helpers() -> None:
    text = table(["a", "bb"], [("x", 1.23456), ("longer", 12_345)])
    assert text.splitlines() == [
        "| a      | bb     |",
        "|--------|--------|",
        "| x      | 1.235  |",
        "| longer | 12,345 |",
    ]
    assert percentile([4, 1, 3, 2], 0.5) == 2.5 and percentile([5], 0.99) == 5
    assert math.isnan(percentile([], 0.5))


def test_scifact_quick_scores_every_system() -> None:
    text = scifact.run(quick=True)
    rows = values(text)
    assert text.startswith("SciFact test queries: 30")
    ours = float(rows["careerbot: passage + document BM25Plus, best passage per document"])
    whitespace = float(rows["rank-bm25 BM25Okapi, lower-cased whitespace tokens, whole documents"])
    assert 0 < whitespace < ours <= 1  # the analyzer matters even on 30 queries
    assert rows["Anserini BM25 flat"] == "0.679"


def test_ndcg_follows_trec_eval() -> None:
    # Relevant documents at ranks 1 and 3 of two: (1 + 1/log2(4)) / (1 + 1/log2(3)).
    assert scifact.ndcg_at_10(["a", "x", "b"], {"a": 1, "b": 1}) == pytest.approx(1.5 / 1.6309297535714575)
    assert scifact.recall_at_100(["x", "b"], {"a": 1, "b": 1}) == 0.5


def test_scale_measures_every_engine_on_the_same_tokens() -> None:
    text, results = scale.run([1_000], 5)
    assert {r["engine"] for r in results} == set(scale.ENGINES)
    assert all(r["queries"] == 5 for r in results)
    by_engine = {r["engine"]: r for r in results}
    # careerbot's scores are rank-bm25's; bm25s (float32) agrees to rounding.
    assert by_engine["careerbot"]["max_abs_diff"] < 1e-6
    assert by_engine["bm25s"]["max_abs_diff"] < 1e-3
    assert "p99 ms" in text and "reference" in text


def test_scale_corpus_is_deterministic_and_distinct() -> None:
    sentences = [[f"s{i}", "w"] for i in range(40)]
    first, again = scale.build_corpus(500, sentences), scale.build_corpus(500, sentences)
    assert first == again and len(first) == 500
    assert len({tuple(p) for p in first}) == 500


def test_scale_ask_row_draws_the_same_passages_as_raw_text() -> None:
    tokens = [[f"s{i}", "w"] for i in range(40)]
    texts = [f"S{i} w." for i in range(40)]
    as_tokens, as_text = scale.build_corpus(300, tokens), scale.build_texts(300, texts)
    assert [" ".join(t) for t in as_tokens] == [
        " ".join(w.strip(".").lower() for w in text.split()) for text in as_text
    ]


def test_scale_chart_is_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    results = [
        {"engine": e, "size": n, "p50_ms": 0.1 * n / 1000, "p99_ms": 0.2 * n / 1000}
        for e in scale.ENGINES
        for n in (1_000, 10_000)
    ]
    scale.chart(results, tmp_path / "latency.png")
    assert (tmp_path / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_startup_on_the_bundled_corpus() -> None:
    rows = values(startup.run(0))
    assert list(rows) == ["bundled corpus"]


def test_slack_load_answers_each_mention_once() -> None:
    rows = values(slack_load.run(20, 5, 1))
    assert rows["replies delivered"] == "20" and rows["mentions answered exactly once"] == "20"
    assert rows["mentions answered more than once"] == "0" and rows["mentions never answered"] == "0"
    assert rows["errors (non-200 acks)"] == "0" and rows["acked in under 3 s"] == "40 of 40"


def test_bench_all_quick_runs_from_the_command_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.all", "--quick", "--only", "slack"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "## Slack throughput" in proc.stdout and "(quick mode)" in proc.stdout
    assert values(proc.stdout)["mentions answered exactly once"] == "50"


def test_suggest_quick_ranks_partial_input() -> None:
    rows = values(suggest.run(quick=True))
    assert int(rows["candidate questions"]) > 3 and int(rows["partial inputs ranked"].replace(",", "")) > 10
    assert float(rows["rank p50 (ms)"]) >= 0


def test_gate_quick_reports_every_question_set(tmp_path: Path) -> None:
    from bench import gate

    text = gate.run(quick=True, chart=tmp_path / "gate.png")
    rows = values(text.split(":\n", 1)[1])
    assert {"dev set", "ours", "ours, chat style"} <= set(rows)
    assert float(rows["ours"]) == 12  # answerable questions counted
    assert (tmp_path / "gate.png").stat().st_size > 10_000


def test_insight_bench_times_every_period_on_a_seeded_store() -> None:
    text = insight.run(questions=300, days=14, runs=2)
    for period in ("days=30", "days=90", "days=7"):
        assert f"/insight?{period}" in text
    assert "SQLite" in text and "200 ms" in text
