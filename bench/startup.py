"""Start-up: from process start to a ready engine, building from the corpus vs loading a saved index.

For the bundled corpus and for a generated 100k-passage corpus (SciFact sentences, three
per document, one passage each): `careerbot index build` once, then fresh processes that
load settings, get the engine (CAREERBOT_INDEX set or not) and answer one question.

    python -m bench.startup [--passages 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from bench.common import OUT, ROOT, SCIFACT, table
from retrieval.passages import split_sentences

READY = (
    "from bot.settings import load_settings; from bot.runtime import build_engine; "
    "build_engine(load_settings()).ask('what do machine learning engineers do?')"
)


def generated_corpus(passages: int, path: Path) -> Path:
    """A JSONL corpus of `passages` short documents (each one passage), deterministic."""
    if path.exists():
        return path
    sentences = [
        s
        for line in (SCIFACT / "corpus.jsonl").read_text().splitlines()
        for s in split_sentences(json.loads(line)["text"])
        if 5 <= len(s.split()) <= 35
    ]
    rng = random.Random(7)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for n in range(passages):
            text = " ".join(rng.choice(sentences) for _ in range(3))
            out.write(json.dumps({"id": f"g{n}", "title": f"Generated {n}", "text": text}) + "\n")
    return path


def timed(cmd: list[str], env: dict[str, str], repeat: int = 3) -> float:
    """Best wall time of `repeat` runs (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=ROOT)
        best = min(best, time.perf_counter() - started)
    return best


def run(passages: int) -> str:
    rows = []
    corpora = [("bundled corpus", ROOT / "corpus")]
    if passages:
        corpora.append(
            (f"generated {passages:,} passages", generated_corpus(passages, OUT / f"corpus{passages}.jsonl"))
        )
    for label, corpus in corpora:
        index = OUT / f"{corpus.stem}.index.npz"
        env = {**os.environ, "CAREERBOT_CORPUS": str(corpus)}
        env.pop("CAREERBOT_INDEX", None)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "index", "build", "--out", str(index)],
            env=env,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        build = time.perf_counter() - started
        cold = timed(
            [sys.executable, "-c", READY], env, repeat=1 if passages and corpus.suffix == ".jsonl" else 3
        )
        loaded = timed([sys.executable, "-c", READY], {**env, "CAREERBOT_INDEX": str(index)})
        baseline = timed([sys.executable, "-c", "import bot.runtime"], env)
        rows.append((label, build, cold, loaded, baseline, f"{index.stat().st_size / 1e6:.1f} MB"))
    return table(
        [
            "corpus",
            "index build s",
            "start, building s",
            "start, loading saved index s",
            "imports alone s",
            "index file",
        ],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--passages", type=int, default=100_000, help="size of the generated corpus (0: skip)"
    )
    print(run(parser.parse_args().passages))


if __name__ == "__main__":
    main()
