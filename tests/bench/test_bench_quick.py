"""The benchmark programs run in quick mode and print their tables (no timing asserts)."""

from __future__ import annotations

from bench import scale, scifact, slack_load, startup


def test_scifact_quick_prints_ndcg_table() -> None:
    text = scifact.run(quick=True)
    assert "nDCG@10" in text and "careerbot" in text and "Anserini BM25 flat" in text


def test_scale_measures_three_engines_on_a_small_corpus() -> None:
    text, results = scale.run([1_000], 5)
    assert {r["engine"] for r in results} == {"careerbot", "rank-bm25", "bm25s"}
    assert all(r["queries"] == 5 for r in results) and "p99 ms" in text


def test_startup_on_the_bundled_corpus() -> None:
    assert "bundled corpus" in startup.run(0)


def test_slack_load_answers_each_mention_once() -> None:
    text = slack_load.run(20, 5, 1)
    rows = dict(line.strip("| ").split(" | ")[:2] for line in text.splitlines()[2:])
    values = {k.strip(): v.strip() for k, v in rows.items()}
    assert values["replies delivered"] == "20"
    assert values["mentions answered more than once"] == "0" and values["errors (non-200 acks)"] == "0"
