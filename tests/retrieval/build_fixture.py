"""Writes the build fixture: a small corpus and the passages and scores careerbot built from it.

The expected output was captured with the single-core pipeline as it was before the
batched build (issue 15), so tests/retrieval/test_build.py can check that the new build
gives the same passages, passage for passage, and the same scores, score for score.
Rerun it only when splitting or the analyzer change on purpose:

    python -m tests.retrieval.build_fixture [--corpus-too]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from retrieval.analyzer import tokenize
from retrieval.documents import load_corpus
from retrieval.engine import DEFAULT_CORPUS, index_tokens
from retrieval.passages import deduplicate, split_document
from retrieval.search import PassageSearch

DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = DATA / "build_corpus.jsonl"
EXPECTED = DATA / "build_expected.json"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SCIFACT = SHARED / "benchmarks" / "scifact"

# Hand-written documents for the cases a sample of real text may miss: exact and near
# repeats, repeated and empty headings, lists, very short passages, quotes, non-ASCII.
CRAFTED = [
    {
        "id": "dup-a",
        "title": "Duplicates",
        "text": "## Part\nMachine learning engineers deploy models to production and monitor "
        "them closely every single day of the week.\n\nShort line.",
    },
    {
        "id": "dup-b",
        "title": "Duplicates again",
        "text": "Machine learning engineers deploy models to production and monitor them "
        "closely every single day of the week!\n\nMachine learning engineers deploy models to "
        "production and monitor them closely every single day of the month.",
    },
    {
        "id": "headings",
        "title": "Repeated headings",
        "text": "## Notes\n"
        + " ".join(f"Sentence {i} is about engineers and models." for i in range(16))
        + "\n\n## Notes\nA short tail.\n\n## \nAnother tail.\n\n### Skills\n- Python.\n- SQL.\n- "
        "Statistics and probability.\n1. First item here.\n2) Second one.",
    },
    {
        "id": "unicode",
        "title": "Ünïcode — café",
        "text": "Ｆｕｌｌwidth text and café résumé naïve. He said “ship it.” Everyone agreed! "
        "Der Ingenieur’s Modell (sehr gut.) ML engineers' models; C++ and C# and F# devs. "
        "CD4+ T cells, top-10+ lists, e.g. Spark vs. Flink, No. 5 and no. Then more.",
    },
    {"id": "tiny", "title": "Tiny", "text": "Hi."},
    {"id": "tiny-2", "title": "Tiny two", "text": "Hi."},
    {"id": "three", "title": "Three words", "text": "one two three"},
]

QUERIES_FROM_DEV = 25
QUERIES_FROM_SCIFACT = 30


def write_corpus() -> None:
    """The fixture corpus: the bundled documents, a SciFact sample and the crafted documents."""
    records = [
        {"id": d.id, "title": d.title, "text": d.text, "url": d.url, "authors": list(d.authors)}
        for d in load_corpus(DEFAULT_CORPUS)
    ]
    lines = (SCIFACT / "corpus.jsonl").read_text().splitlines()
    sample = [json.loads(line) for line in lines[:60]]
    longest = sorted((json.loads(line) for line in lines), key=lambda r: -len(r["text"]))[:15]
    records += [{"_id": r["_id"], "title": r["title"], "text": r["text"]} for r in sample + longest]
    records += CRAFTED
    CORPUS.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def queries() -> list[str]:
    dev = json.loads((SHARED / "eval" / "dev_questions.json").read_text())
    texts = [q["q"] for q in dev["questions"] + dev["off_topic"]][:QUERIES_FROM_DEV]
    scifact = [json.loads(line)["text"] for line in (SCIFACT / "queries.jsonl").read_text().splitlines()]
    return texts + scifact[:QUERIES_FROM_SCIFACT] + ["engineers models", "hi", "café", "c++ c#"]


def sparse(scores, baseline: float) -> list[list[float]]:
    """[passage number, score] of every entry above the no-match baseline."""
    return [[i, float(scores[i])] for i in range(len(scores)) if scores[i] > baseline + 1e-12]


def reference_output(corpus: Path) -> dict:
    """What the pre-change, single-core pipeline builds from `corpus` (the frozen reference)."""
    documents = load_corpus(corpus)
    split = [split_document(d) for d in documents]
    passages, removed = deduplicate(p for ps in split for p in ps)
    search = PassageSearch.build(*index_tokens(documents, split, passages))
    out_queries = []
    for text in queries():
        terms = tokenize(text)
        out_queries.append(
            {
                "text": text,
                "passages": sparse(search.passages.scores(terms), search.passages.baseline(terms)),
                "passage_baseline": search.passages.baseline(terms),
                "documents": sparse(search.documents.scores(terms), search.documents.baseline(terms)),
                "document_baseline": search.documents.baseline(terms),
            }
        )
    return {
        "passages": [[p.id, p.doc_id, p.section, p.text] for p in passages],
        "removed_duplicates": len(removed),
        "owner": search.owner.tolist(),
        "queries": out_queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus-too", action="store_true", help="also rewrite the corpus sample")
    if parser.parse_args().corpus_too or not CORPUS.exists():
        write_corpus()
    EXPECTED.write_text(
        json.dumps(reference_output(CORPUS), ensure_ascii=False, separators=(",", ":")) + "\n"
    )
    print(f"wrote {EXPECTED}", file=sys.stderr)


if __name__ == "__main__":
    main()
