"""The README's Performance tables, written from one benchmark run so they cannot drift.

`python -m bench.all --readme` (full) or `python -m bench.all --quick --readme` runs every
benchmark once and replaces what lies between the two markers in README.md with the
measured header line, each table exactly as the benchmark printed it, and the fixed text
that explains it. The text here carries no figure: every number comes from the run.
"""

from __future__ import annotations

from pathlib import Path

from bench.common import ROOT

README = ROOT / "README.md"
BEGIN = "<!-- bench:begin (written by `python -m bench.all --readme`; edit bench/readme.py) -->"
END = "<!-- bench:end -->"

INTRO = """\
{header} Every table below comes from that one run of
`python -m bench.all{flags}`, which also wrote them here; reproduce with the same command
(`make bench` runs the quick mode, as CI does, without touching this file).{quick_note}"""

QUICK_NOTE = """

**Quick mode**: small sizes (SciFact's first queries, 1k and 10k passages, the bundled
corpus only, 50 mentions), so these figures show the shape, not the full-scale numbers; the
full run (`python -m bench.all --readme`, about 25 minutes on 2 idle cores) measures up to
1M passages and a generated 100k-passage corpus. The last full run's tables (2026-11-22,
on an idle machine) are in this file's git history."""

PROSE = {
    "scifact": """\
**Retrieval quality on BEIR SciFact** (`python -m bench.scifact`: 5,183 documents split
into passages, a document ranked by its best passage; nDCG@10 as trec_eval computes it;
rows marked published are the papers' figures, the others were measured in this run).
Nothing was tuned on these queries: the analyzer, BM25Plus with the standard k1 1.2 /
b 0.75, and the plain sum of passage and document scores are fixed choices explained in
`retrieval/`.""",
    "scale": """\
**Speed and scale** (`python -m bench.scale`): per-question latency over SciFact's queries,
index build time from tokens and memory (each size in its own process), on the same tokens
for every engine. Corpora of distinct passages are built deterministically from SciFact
sentences. careerbot's scores equal rank-bm25's BM25Plus to 1e-6 (tested; "max score diff"
is measured here); it is fast because it touches only the passages holding a query term.
rank-bm25 walks every passage per query term, so it runs a sample of the queries, and is
skipped at the largest sizes. The "careerbot ask()" row is the whole `Engine.ask` a user's
question goes through (cleaning, spelling, concepts, passage and document search, the gate,
3 hits) on the same passages as raw text, one document each; its build column is the whole
build from raw text.""",
    "startup": """\
**Start-up and the answer path** (`python -m bench.startup`): wall time of a fresh process
until the engine has answered one question, from the corpus or from a saved index; "web
ready" is the Procfile's web process answering /healthz; "index build" is `careerbot index
build` from raw text (loading, splitting, de-duplicating, analyzing and indexing).""",
    "slack": """\
**Slack throughput** (`python -m bench.slack_load`): the Procfile's web command (gunicorn)
and a local mock Web API; signed mentions, each sent a second time as Slack's retry.""",
    "insight": """\
**The insight page** (`python -m bench.insight`): `GET /insight` over a store seeded with
that many questions spread over 90 days (votes, reasons, hand-offs, unanswered groups), on
SQLite in this process, where CPU time is what an idle core's wall time would be; on
PostgreSQL (`--database-url`) the server does part of the work and wall time is the figure.
The bar is 200 ms for 100,000 questions.""",
}
CHART = "![p50 latency per question against corpus size, log-log](docs/latency.png)"


def render(header: str, tables: dict[str, str], quick: bool) -> str:
    """The Markdown between the markers: intro, then each section's text and table."""
    missing = [name for name in PROSE if name not in tables]
    if missing:
        raise ValueError(f"no table for {', '.join(missing)}: the README needs every section from one run")
    parts = [
        INTRO.format(
            header=header,
            flags=" --quick --readme" if quick else " --readme",
            quick_note=QUICK_NOTE if quick else "",
        )
    ]
    for name, prose in PROSE.items():
        parts.append(f"{prose}\n\n{tables[name].strip()}")
        if name == "scale" and not quick:
            parts.append(CHART)  # bench.all redraws it in a full run only
    return "\n\n".join(parts)


def replace_block(text: str, block: str) -> str:
    """`text` with what lies between BEGIN and END replaced by `block` (markers kept)."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise ValueError(f"README.md must hold one {BEGIN!r} before one {END!r}")
    before, rest = text.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    return f"{before}{BEGIN}\n{block.strip()}\n{END}{after}"


def write(block: str, readme: Path = README) -> None:
    readme.write_text(replace_block(readme.read_text(encoding="utf-8"), block), encoding="utf-8")
