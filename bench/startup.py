"""Start-up and the whole answer path: building vs loading a saved index, and Engine.ask latency.

For the bundled corpus and for a generated corpus of 100k one-passage documents
(SciFact sentences, three per document, seeded):

- index build: `careerbot index build --out FILE` from raw text (load, split, dedupe,
  analyze, index, save), wall time of the process;
- start, building / start, loading: a fresh process that loads settings, gets the engine
  (CAREERBOT_INDEX unset / set) and answers one question; best of 3 (1 when building
  a large corpus);
- web ready: the Procfile's web command (gunicorn, 2 workers) with the saved index, from
  process start until GET /healthz answers 200 (a local mock Slack Web API answers auth.test);
- ask p50/p99: Engine.ask (clean, synonyms, search, gate, diversity) in-process on the warmed
  loaded index; SciFact's 300 test queries for the generated corpus, the dev questions
  (in-corpus and off-topic) for the bundled corpus;
- build from raw text, careerbot beside bm25s, at the generated corpus's size and at 1M
  documents (issue 15's bars: 100k in 5 s; 1M in 60 s under 1.5 GB).

    python -m bench.startup [--passages 100000]
    python -m bench.startup --build-sizes 100000 1000000 [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import (
    OUT,
    ROOT,
    SCIFACT,
    SHARED,
    Bar,
    free_port,
    percentile,
    procfile_command,
    scifact_test_questions,
    table,
)
from retrieval.passages import split_sentences

LARGE_BUILD = 1_000_000  # a full run also builds this many documents from raw text (issue 15's bar)
READY = (
    "from bot.settings import load_settings; from bot.runtime import build_engine; "
    "build_engine(load_settings()).ask('what do machine learning engineers do?')"
)


def generated_corpus(documents: int, path: Path) -> Path:
    """A JSONL corpus of `documents` short documents (three SciFact sentences each), deterministic."""
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
    tmp = path.with_name(path.name + ".tmp")
    bar = Bar(documents, f"corpus {documents:,}")
    with tmp.open("w") as out:
        for n in range(documents):
            text = " ".join(rng.choice(sentences) for _ in range(3))
            out.write(json.dumps({"id": f"g{n}", "title": f"Generated {n}", "text": text}) + "\n")
            bar.update(n + 1)
    bar.close()
    tmp.replace(path)
    return path


def timed(cmd: list[str], env: dict[str, str], repeat: int = 3) -> float:
    """Best wall time of `repeat` runs (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=ROOT)
        best = min(best, time.perf_counter() - started)
    return best


def web_ready(env: dict[str, str], repeat: int = 3) -> float | str:
    """Best time from starting the Procfile's web command until /healthz answers 200
    (or why it never did)."""
    from bench.mock_slack import MockSlack  # the test suite's mock Web API, for auth.test

    best = float("inf")
    for _ in range(repeat):
        with MockSlack() as slack, tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            web_env = {
                **{k: v for k, v in env.items() if not k.startswith(("SLACK_", "DISCORD_", "DATABASE_URL"))},
                "PORT": str(port),
                "WEB_CONCURRENCY": "2",
                "SLACK_BOT_TOKEN": "xoxb-startup",
                "SLACK_SIGNING_SECRET": "startup-secret",
                "SLACK_API_URL": slack.api_url,
                "CAREERBOT_DB": str(Path(tmp) / "startup.db"),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            }
            started = time.perf_counter()
            web = subprocess.Popen(
                procfile_command("web"),
                cwd=tmp,
                env=web_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                while time.perf_counter() - started < 60:
                    if web.poll() is not None:
                        return f"failed: exited with {web.returncode}"
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                            if resp.status == 200:
                                break
                    except OSError:
                        time.sleep(0.01)
                else:
                    return "failed: not ready in 60 s"
                best = min(best, time.perf_counter() - started)
            finally:
                web.terminate()
                web.wait(timeout=30)
    return best


def ask_latency(index: Path, corpus: Path, questions: list[str]) -> tuple[float, float, int]:
    """(p50 ms, p99 ms, passages) of Engine.ask on the saved index, warmed as a web worker
    warms it (the English list, the speller, compiled search), after 3 warm-up questions."""
    from retrieval import Engine

    engine = Engine.load(index, corpus)
    # Without it, the first question with a typo pays the speller's one-time build (about
    # 50 ms), which a 25-question p99 shows as the bundled corpus's latency.
    engine.warm()
    for question in questions[:3]:
        engine.ask(question)
    latencies = []
    for question in questions:
        started = time.perf_counter()
        engine.ask(question)
        latencies.append((time.perf_counter() - started) * 1000)
    return percentile(latencies, 0.5), percentile(latencies, 0.99), len(engine.passages)


def build_once(engine: str, corpus: Path, jobs: int | None = None) -> dict:
    """Runs in a fresh process: build one engine from a raw-text JSONL corpus, in-process,
    and report wall time, CPU time (its own and its worker processes', user + system) and
    peak memory (the process's own since it started, and its largest worker's)."""
    import resource

    started, cpu = time.perf_counter(), time.process_time()
    stages: dict[str, float] = {}
    if engine == "careerbot":
        from retrieval import Engine
        from retrieval.build import BuildTimes

        times = BuildTimes()
        built = Engine.from_corpus(corpus, times=times, jobs=jobs)
        saving = time.perf_counter()
        built.save(OUT / "build-once.index.npz")
        times.seconds["save"] = time.perf_counter() - saving
        stages, passages = times.seconds, len(built.passages)
    else:  # bm25s: its own tokenizer (English stopwords, the same Snowball stemmer), no splitting
        import bm25s
        import Stemmer

        texts = [
            f"{record['title']} {record['text']}"
            for record in map(json.loads, corpus.read_text().splitlines())
        ]
        stages["load"] = time.perf_counter() - started
        t0 = time.perf_counter()
        tokens = bm25s.tokenize(
            texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False
        )
        stages["analyze"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        model = bm25s.BM25(method="bm25+", k1=1.2, b=0.75, delta=1.0)
        model.index(tokens, show_progress=False)
        stages["index"] = time.perf_counter() - t0
        passages = len(texts)
    from bench.common import memory_mb

    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # the build's pool has exited
    return {
        "engine": engine,
        "passages": passages,
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu + workers.ru_utime + workers.ru_stime,
        "peak_mb": memory_mb()[1],
        "workers_peak_mb": workers.ru_maxrss / 1024 if workers.ru_maxrss else float("nan"),
        "stages": stages,
    }


def raw_build(sizes: list[int], jobs: int | None = None) -> str:
    """Build from raw text at each size, careerbot and bm25s side by side (a process each)."""
    rows = []
    for size in sizes:
        corpus = generated_corpus(size, OUT / f"corpus{size}.jsonl")
        for engine in ("careerbot", "bm25s"):
            proc = subprocess.run(
                [sys.executable, "-m", "bench.startup", "--build-once", engine, str(corpus)]
                + (["--jobs", str(jobs)] if jobs else []),
                stdout=subprocess.PIPE,
                text=True,
                check=False,
                cwd=ROOT,
            )
            if proc.returncode != 0:
                rows.append((size, engine, *[float("nan")] * 4, f"failed (exit {proc.returncode})"))
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
            rows.append(
                (
                    size,
                    engine,
                    r["wall_s"],
                    r["cpu_s"],
                    r["peak_mb"],
                    r.get("workers_peak_mb", float("nan")),
                    stages,
                )
            )
    headers = ["documents", "engine", "build s", "CPU s", "peak MB", "worker peak MB", "stages (s)"]
    note = (
        "Build from raw text (`python -m bench.startup --build-sizes ...`): careerbot loads, splits,"
        " de-duplicates, analyzes, indexes and saves, with its default worker processes for a large"
        " JSONL file (`--jobs`: the machine's cores, at most 8); bm25s tokenizes (stopwords, Snowball)"
        " and indexes whole documents. Each in a fresh process; CPU s adds its workers' (user +"
        " system); peak is that process's own, worker peak its largest worker's (pages it shares"
        " with the main process counted in both); stage times are summed over the workers."
    )
    return note + "\n\n" + table(headers, rows)


def dev_questions() -> list[str]:
    data = json.loads((SHARED / "eval" / "dev_questions.json").read_text())
    return [q["q"] for q in data["questions"] + data["off_topic"]]


def run(passages: int) -> str:
    rows = []
    corpora = [("bundled corpus", ROOT / "corpus", dev_questions())]
    if passages:
        path = generated_corpus(passages, OUT / f"corpus{passages}.jsonl")
        corpora.append((f"generated ({passages:,} documents)", path, scifact_test_questions()))
    for label, corpus, questions in corpora:
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
        large = corpus.suffix == ".jsonl"
        cold = timed([sys.executable, "-c", READY], env, repeat=1 if large else 3)
        loaded_env = {**env, "CAREERBOT_INDEX": str(index)}
        loaded = timed([sys.executable, "-c", READY], loaded_env)
        web = web_ready(loaded_env)
        baseline = timed([sys.executable, "-c", "import bot.runtime"], env)
        p50, p99, n_passages = ask_latency(index, corpus, questions)
        rows.append(
            (
                label,
                n_passages,
                build,
                cold,
                loaded,
                web,
                baseline,
                f"{index.stat().st_size / 1e6:.1f} MB",
                p50,
                p99,
                f"{len(questions)} questions",
            )
        )
    headers = [
        "corpus",
        "passages",
        "index build s",
        "start, building s",
        "start, loading index s",
        "web ready s",
        "imports alone s",
        "index file",
        "ask p50 ms",
        "ask p99 ms",
        "ask workload",
    ]
    text = table(headers, rows)
    if passages:
        text += "\n\n" + raw_build([passages] + ([LARGE_BUILD] if passages < LARGE_BUILD else []))
    return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--passages", type=int, default=100_000, help="size of the generated corpus (0: skip)"
    )
    parser.add_argument(
        "--build-sizes",
        type=int,
        nargs="*",
        default=None,
        help="only the build-from-raw-text table, at these sizes (e.g. 100000 1000000)",
    )
    parser.add_argument("--jobs", type=int, help="careerbot's build workers (default: its own default)")
    parser.add_argument("--build-once", nargs=2, metavar=("ENGINE", "CORPUS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_once:
        print(json.dumps(build_once(args.build_once[0], Path(args.build_once[1]), args.jobs)))
        return
    if args.build_sizes is not None:
        print(raw_build(args.build_sizes, args.jobs))
        return
    print(run(args.passages))


if __name__ == "__main__":
    main()
