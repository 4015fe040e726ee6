"""Loading a corpus: the bundled documents, directories, JSONL, and every bad-input case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.documents import load_corpus, load_synonyms
from retrieval.errors import CorpusError
from retrieval.passages import normalise

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
GOOD = "---\nid: a\ntitle: A title\nurl: https://x.test/a\nauthors: [Ann, Bo]\nsite: Site\n---\n\nSome text here.\n"


def write(dir_: Path, name: str, content: str | bytes) -> Path:
    path = dir_ / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_bundled_corpus_matches_sources() -> None:
    docs = load_corpus(ROOT / "corpus")
    assert len(docs) == 5
    sources = json.loads((SHARED / "seeds" / "sources.json").read_text())["documents"]
    by_url = {d.url: d for d in docs}
    for meta in sources.values():
        doc = by_url[meta["url"]]
        assert (
            doc.title == meta["title"] and list(doc.authors) == meta["authors"] and doc.site == meta["site"]
        )


def test_curated_corpus_keeps_every_dev_span_and_drops_chrome() -> None:
    text = " ".join(normalise(d.text) for d in load_corpus(ROOT / "corpus"))
    dev = json.loads((SHARED / "eval" / "dev_questions.json").read_text())
    for question in dev["questions"]:
        for _, span in question["spans"]:
            assert normalise(span) in text, (question["id"], span)
    for chrome in ("read more", "cover image for", "please enter your comment", "unsplash", "posted on"):
        assert chrome not in text
    # the first seed's summary is kept once
    assert text.count(normalise("SWEs own team infrastructure and lead product development")) == 1


def test_directory_of_md_and_txt(tmp_path: Path) -> None:
    write(tmp_path, "a.md", GOOD)
    write(tmp_path, "notes.txt", "Plain title\nPlain body text.\n")
    write(tmp_path, "README.md", "# not a document\n")
    write(tmp_path, "synonyms.txt", "a, b\n")
    hidden = tmp_path / ".git"
    hidden.mkdir()
    write(hidden, "x.md", "junk")
    docs = load_corpus(tmp_path)
    assert [(d.id, d.title) for d in docs] == [("a", "A title"), ("notes", "Plain title")]
    assert (
        docs[0].authors == ("Ann", "Bo")
        and docs[0].url == "https://x.test/a"
        and docs[0].text == "Some text here."
    )


def test_jsonl_with_id_and__id(tmp_path: Path) -> None:
    lines = [
        {"id": "1", "title": "One", "text": "First.", "authors": "Ann, Bo"},
        {"_id": "2", "title": "", "text": "Second.", "url": "https://x.test/2"},
    ]
    path = write(tmp_path, "c.jsonl", "\ufeff" + "\n".join(json.dumps(x) for x in lines) + "\n\n")
    docs = load_corpus(path)
    assert [(d.id, d.title, d.authors, d.url) for d in docs] == [
        ("1", "One", ("Ann", "Bo"), None),
        ("2", "2", (), "https://x.test/2"),  # an empty JSONL title falls back to the id
    ]


def test_scifact_loads_as_it_is() -> None:
    docs = load_corpus(SHARED / "benchmarks" / "scifact" / "corpus.jsonl")
    assert len(docs) == 5183


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.md", "---\ntitle: [unclosed\n---\nbody\n", "broken YAML front matter"),
        ("a.md", "---\ntitle: x\nbody without closing\n", "front matter is not closed"),
        ("a.md", "---\n- a list\n---\nbody\n", "must be a mapping"),
        ("a.md", "---\nurl: https://x.test\n---\nbody\n", "missing title"),
        ("a.md", "---\ntitle: T\n---\n\n   \n", "empty body"),
        ("a.md", "no front matter at all\n", "no YAML front matter"),
        ("a.md", "---\ntitle: T\nauthors: 3\n---\nbody\n", "authors must be a list"),
        ("a.md", b"---\ntitle: T\n---\ncaf\xe9 latin-1\n", "not UTF-8"),
        ("a.md", b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary"),
    ],
)
def test_bad_documents_name_the_file(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    write(tmp_path, "good.md", GOOD.replace("id: a", "id: good"))
    write(tmp_path, name, content)
    with pytest.raises(CorpusError, match=message) as info:
        load_corpus(tmp_path)
    assert str(tmp_path / name) in str(info.value)


@pytest.mark.parametrize(
    ("lines", "message", "line_no"),
    [
        (['{"id": "1", "title": "T", "text": "x"}', "not json"], "not valid JSON", 2),
        (['{"id": "1", "title": "T", "text": "x"}', "[1, 2]"], "must be a JSON object", 2),
        (['{"title": "T", "text": "x"}'], "missing id", 1),
        (['{"id": "1", "title": "T"}'], "missing text", 1),
        (['{"id": "1", "title": "T", "text": "   "}'], "empty body", 1),
        (
            ['{"id": "1", "title": "T", "text": "x"}', '{"id": "1", "title": "U", "text": "y"}'],
            "duplicate document id",
            2,
        ),
    ],
)
def test_bad_jsonl_names_file_and_line(tmp_path: Path, lines: list[str], message: str, line_no: int) -> None:
    path = write(tmp_path, "c.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(CorpusError, match=message) as info:
        load_corpus(path)
    assert f"{path}:{line_no}" in str(info.value)


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.md", GOOD)
    write(tmp_path, "b.md", GOOD)
    with pytest.raises(CorpusError, match=r"duplicate document id 'a'.*a\.md"):
        load_corpus(tmp_path)


def test_empty_and_missing_corpus(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="empty"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="no such file"):
        load_corpus(tmp_path / "nope")
    write(tmp_path, "c.jsonl", "\n\n")
    with pytest.raises(CorpusError, match="empty"):
        load_corpus(tmp_path / "c.jsonl")


def test_synonym_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, "s.txt", "# comment\nMLE,  ML engineer , machine learning engineer  # trailing\n\n"
    )
    assert load_synonyms(path) == [["mle", "ml engineer", "machine learning engineer"]]
    write(tmp_path, "bad.txt", "alone\n")
    with pytest.raises(CorpusError, match=r"bad\.txt:1: .*two or more"):
        load_synonyms(tmp_path / "bad.txt")
    assert len(load_synonyms(ROOT / "corpus" / "synonyms.txt")) > 20
