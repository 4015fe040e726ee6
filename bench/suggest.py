"""Autocomplete and suggested prompts: how long the questions take to build, and to rank.

- build: QuestionSuggestions on the bundled corpus (example questions, heading questions
  the engine answers), once, in-process (the web process does it in a background thread);
- rank p50/p99: ranking every candidate against partial input, as a Discord autocomplete
  does per keystroke: every prefix of the dev questions (in-corpus and off-topic).

Discord allows 3 s for the autocomplete response; this is the part that is ours.

    python -m bench.suggest [--quick]
"""

from __future__ import annotations

import argparse
import json
import time

from bench.common import ROOT, percentile, table
from bot.suggestions import QuestionSuggestions
from retrieval import Engine

DEV_QUESTIONS = ROOT / "tests" / "data" / "questions.json"


def prefixes(questions: list[str], step: int) -> list[str]:
    return [q[:n] for q in questions for n in range(1, len(q) + 1, step)]


def run(quick: bool = False) -> str:
    engine = Engine.from_corpus()
    started = time.perf_counter()
    suggestions = QuestionSuggestions(engine, background=False)
    build_ms = (time.perf_counter() - started) * 1000
    data = json.loads(DEV_QUESTIONS.read_text())
    items = data if isinstance(data, list) else data.get("questions", [])
    questions = [q if isinstance(q, str) else str(q.get("q", "")) for q in items]
    typed = prefixes([q for q in questions if q], 8 if quick else 1)
    times = []
    for text in typed:
        began = time.perf_counter()
        suggestions.rank(text)
        times.append((time.perf_counter() - began) * 1000)
    return table(
        ["measure", "value"],
        [
            ("candidate questions", len(suggestions.all)),
            ("build (ms)", build_ms),
            ("partial inputs ranked", len(typed)),
            ("rank p50 (ms)", percentile(times, 0.5)),
            ("rank p99 (ms)", percentile(times, 0.99)),
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    print(run(quick=parser.parse_args().quick))
