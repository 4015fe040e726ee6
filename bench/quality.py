"""Answer quality of the whole engine (gate and hit choice included), written into the
README between the <!-- quality --> markers so the figures cannot drift.

Sets: the dev and chat sets of ../shared/eval, our own tests/data sets, and SciFact through
the same path as `careerbot ask --json --batch - --top-k 40` (documents ranked by their
best passage, unanswered queries scoring 0).

    python -m bench.quality [--readme] [--quick]   (--quick: no SciFact)
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

from bench.common import ROOT, SCIFACT, SHARED, table
from retrieval import Engine
from retrieval.evaluation import evaluate, load_question_file

README = ROOT / "README.md"
SETS = [
    ("dev set (`../shared/eval/dev_questions.json`)", SHARED / "eval" / "dev_questions.json"),
    ("chat set (`../shared/eval/chat_questions.json`)", SHARED / "eval" / "chat_questions.json"),
    ("our own set (`tests/data/questions.json`)", ROOT / "tests" / "data" / "questions.json"),
    ("our own chat-style set (`tests/data/chat_style.json`)", ROOT / "tests" / "data" / "chat_style.json"),
]
# Another kind of corpus: an employee handbook (tests/data/handbook/, no careerbot.yaml, no
# synonyms) with new hires' chat questions, both written by someone who never saw the engine.
OTHER_CORPORA = [
    (
        "handbook set (`tests/data/handbook_questions.json` on `tests/data/handbook/`)",
        ROOT / "tests" / "data" / "handbook_questions.json",
        ROOT / "tests" / "data" / "handbook",
    ),
]


def scifact_answers() -> tuple[float, float]:
    """(answered rate, nDCG@10) of Engine.ask(top_k=40) on SciFact's 300 test queries."""
    from bench.common import scifact_qrels
    from bench.scifact import ndcg_at_10, test_queries

    engine = Engine.from_corpus(SCIFACT / "corpus.jsonl")
    qrels = scifact_qrels()
    queries = test_queries(None)
    answered = total = 0.0
    for qid, text in queries:
        answer = engine.ask(text, top_k=40)
        answered += answer.answered
        total += ndcg_at_10(list(dict.fromkeys(h.doc_id for h in answer.hits)), qrels[qid])
    return answered / len(queries), total / len(queries)


def _row(name: str, engine: Engine, path: Path) -> tuple[str, ...]:
    r = evaluate(load_question_file(path), lambda q, k: engine.ask(q, top_k=k))
    return (
        f"{name}, {r.in_corpus} + {r.off_topic}",
        f"{r.hit_at_1:.3f}",
        f"{r.hit_at_3:.3f}",
        f"{r.mrr_at_5:.3f}",
        f"{r.answered:.3f}",
        f"{r.abstained:.3f}",
    )


def run(quick: bool = False) -> str:
    engine = Engine.from_corpus()
    rows = []
    for name, path in SETS:
        if not path.exists():
            continue
        rows.append(_row(name, engine, path))
    for name, path, corpus in OTHER_CORPORA:
        rows.append(_row(name, Engine.from_corpus(corpus), path))
    text = table(["set (answerable + off-topic)", "hit@1", "hit@3", "MRR@5", "answered", "abstained"], rows)
    if not quick and (SCIFACT / "corpus.jsonl").exists():
        answered, ndcg = scifact_answers()
        text += (
            f"\n\nSciFact, 300 test queries through `careerbot ask --top-k 40` (every query has an answer): "
            f"answered {answered:.3f}, nDCG@10 {ndcg:.3f} (search stage alone: see Performance)."
        )
    return text


def write_readme(text: str) -> None:
    body = README.read_text(encoding="utf-8")
    section = (
        "<!-- quality (written by `python -m bench.quality --readme`) -->\n"
        f"Measured {dt.date.today().isoformat()} with the engine as shipped (chat cleaning, corrections, "
        "gate, hit choice), one run:\n\n"
        f"{text}\n<!-- /quality -->"
    )
    new, count = re.subn(r"<!-- quality.*?<!-- /quality -->", lambda _: section, body, flags=re.S)
    if count != 1:
        raise SystemExit("README.md: no <!-- quality --> ... <!-- /quality --> section")
    README.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args()
    text = run(quick=args.quick)
    print(text)
    if args.readme:
        write_readme(text)


if __name__ == "__main__":
    main()
