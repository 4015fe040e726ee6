"""The no-answer gate's trade-off: answered rate on answerable questions against the
abstain rate on the others, as the gate's thresholds move (docs/gate.png).

One strictness factor s moves both thresholds together (held share x s, absent share / s;
s = 1 is the shipped gate, retrieval.gate). One curve per question set: the dev set and
the chat set (../shared/eval), our own sets (tests/data, the handbook set on its own
corpus among them), and SciFact, whose queries all
have an answer (so only its answered rate is drawn). The chosen point is marked.

    python -m bench.gate [--quick]     (--quick: no SciFact, fewer steps; for the tests)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.common import ROOT, SCIFACT, SHARED, table
from retrieval import Engine
from retrieval.evaluation import load_question_file
from retrieval.gate import MAX_ABSENT_SHARE, MIN_HELD_SHARE, GateFigures, decide

CHART = ROOT / "docs" / "gate.png"
Figures = list[list[GateFigures]]  # per question: whole, then parts


def passes(figures: list[GateFigures], strictness: float) -> bool:
    """The shipped rule (any of whole and parts passes) with both thresholds scaled."""
    return any(
        decide(
            f.held_share,
            f.absent_share,
            f.held_concepts,
            f.known_concepts,
            min_held_share=MIN_HELD_SHARE * strictness,
            max_absent_share=MAX_ABSENT_SHARE / strictness,
        )[0]
        for f in figures
    )


def question_sets(quick: bool) -> list[tuple[str, Engine, Figures, Figures]]:
    """(name, engine, answerable figures, off-topic figures) for every set."""
    bundled = Engine.from_corpus()
    data = ROOT / "tests" / "data"
    files = [  # (name, question file, the engine of its corpus)
        ("dev set", SHARED / "eval" / "dev_questions.json", lambda: bundled),
        ("chat set", SHARED / "eval" / "chat_questions.json", lambda: bundled),
        ("ours", data / "questions.json", lambda: bundled),
        ("ours, chat style", data / "chat_style.json", lambda: bundled),
        ("handbook", data / "handbook_questions.json", lambda: Engine.from_corpus(data / "handbook")),
    ]
    out = []
    for name, path, engine_of in files:
        if not path.exists():
            continue
        engine = engine_of()
        qf = load_question_file(path)
        out.append(
            (
                name,
                engine,
                [engine.gate_figures(q.q) for q in qf.questions],
                [engine.gate_figures(q.q) for q in qf.off_topic],
            )
        )
    if not quick and (SCIFACT / "corpus.jsonl").exists():
        from bench.scifact import test_queries

        sci = Engine.from_corpus(SCIFACT / "corpus.jsonl")
        out.append(("SciFact", sci, [sci.gate_figures(text) for _, text in test_queries(None)], []))
    return out


def rates(answerable: Figures, off_topic: Figures, s: float) -> tuple[float, float | None]:
    answered = sum(passes(f, s) for f in answerable) / len(answerable) if answerable else 0.0
    abstain = sum(not passes(f, s) for f in off_topic) / len(off_topic) if off_topic else None
    return answered, abstain


def run(quick: bool = False, chart: Path | None = CHART) -> str:
    steps = [0.5, 1.0, 1.5] if quick else [round(0.4 + 0.05 * i, 2) for i in range(33)]
    sets = question_sets(quick)
    rows = []
    curves: dict[str, list[tuple[float, float, float | None]]] = {}
    for name, _, answerable, off in sets:
        curves[name] = [(s, *rates(answerable, off, s)) for s in steps]
        answered, abstain = rates(answerable, off, 1.0)
        rows.append(
            (name, len(answerable), len(off), f"{answered:.3f}", "-" if abstain is None else f"{abstain:.3f}")
        )
    text = (
        f"Gate at MIN_HELD_SHARE {MIN_HELD_SHARE}, MAX_ABSENT_SHARE {MAX_ABSENT_SHARE} (strictness 1):\n"
        + table(["question set", "answerable", "off-topic", "answered", "abstain"], rows)
    )
    if chart is not None:
        draw(curves, chart)
        text += f"\nchart: {chart.relative_to(ROOT) if chart.is_relative_to(ROOT) else chart}"
    return text


def draw(curves: dict[str, list[tuple[float, float, float | None]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (roc, by_s) = plt.subplots(1, 2, figsize=(11, 4.6))
    for name, points in curves.items():
        answered = [a for _, a, _ in points]
        chosen = next(p for p in points if p[0] == 1.0) if any(p[0] == 1.0 for p in points) else None
        line = by_s.plot([s for s, _, _ in points], answered, label=f"{name}: answered")[0]
        if all(b is not None for _, _, b in points):
            abstain = [b for _, _, b in points]
            by_s.plot(
                [s for s, _, _ in points], abstain, "--", color=line.get_color(), label=f"{name}: abstain"
            )
            roc.plot(abstain, answered, "-", color=line.get_color(), label=name)
            if chosen is not None:
                roc.plot([chosen[2]], [chosen[1]], "o", color=line.get_color(), markersize=8)
    by_s.axvline(1.0, color="grey", linestyle=":", label="shipped gate")
    by_s.set_xlabel("strictness (held share x s, absent share / s)")
    by_s.set_ylabel("rate")
    by_s.set_title("Answered and abstain rates as the gate moves")
    by_s.legend(fontsize=7, loc="lower left")
    roc.set_xlabel("abstain rate on questions that must get no answer")
    roc.set_ylabel("answered rate on answerable questions")
    roc.set_title("Trade-off (dots: the shipped gate)")
    roc.set_xlim(-0.02, 1.02)
    roc.set_ylim(-0.02, 1.02)
    roc.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            print(run(quick=True, chart=Path(tmp) / "gate.png"))
    else:
        print(run())


if __name__ == "__main__":
    main()
