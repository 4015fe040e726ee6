"""Loading a corpus: the bundled documents, directories, JSONL, and every bad-input case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
        ("a.md", "---\n---\nbody\n", "front matter is empty"),
        ("a.md", "---\nid: x\ntitle: T\nurl: [1, 2]\n---\nbody\n", "url must be text"),
        ("a.md", "---\ntitle: {a: 1}\n---\nbody\n", "title must be text"),
        ("a.md", "---\ntitle: '   '\n---\nbody\n", "missing title"),
        ("a.md", "---\nid: ''\ntitle: T\n---\nbody\n", "empty document id"),
        ("a.md", "---\ntitle: T\n---\n", "empty body"),
        ("notes.txt", "\n\n  \n", "missing title"),
        ("notes.txt", "Only a title line\n", "empty body"),
        ("a.md", "---\nurl: https://x.test\n---\nbody\n", "missing title"),
        ("a.md", "---\ntitle: T\n---\n\n   \n", "empty body"),
        ("a.md", "no front matter at all\n", "no YAML front matter"),
        ("a.md", "---\ntitle: T\nauthors: 3\n---\nbody\n", "authors must be a list"),
        ("a.md", b"---\ntitle: T\n---\ncaf\xe9 latin-1\n", r"not UTF-8 text \(byte 0xe9 at offset 20\)"),
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
        (['{"id": "1", "title": "T", "text": "x"}', "[1, 2]"], "not a JSON object", 2),
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


def test_yaml_error_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\nid: a\ntitle: fine\nauthors: [x\n---\nbody\n")
    with pytest.raises(CorpusError, match=r"a\.md: broken YAML front matter \(line \d+\)"):
        load_corpus(tmp_path)


def test_bom_crlf_and_yaml_niceties(tmp_path: Path) -> None:
    # A Windows editor's file: BOM, CRLF, a numeric title, authors as one string, '...' closing.
    write(
        tmp_path,
        "w.md",
        "\ufeff---\r\ntitle: 1984\r\nauthors: Ann,  Bo\r\n...\r\n\r\nLine one.\r\nLine two.\r\n",
    )
    write(tmp_path, "t.txt", "---\ntitle: Text with front matter\n---\nBody.\n")
    docs = load_corpus(tmp_path)
    assert [(d.id, d.title, d.authors, d.text) for d in docs] == [
        ("t", "Text with front matter", (), "Body."),
        ("w", "1984", ("Ann", "Bo"), "Line one.\nLine two."),
    ]


def test_nested_directories_sorted_hidden_skipped(tmp_path: Path) -> None:
    (tmp_path / "team" / "sub").mkdir(parents=True)
    (tmp_path / ".cache" / "deep").mkdir(parents=True)
    write(tmp_path / "team" / "sub", "z.md", GOOD.replace("id: a", "id: z"))
    write(tmp_path / "team", "README.md", "no front matter, documentation\n")
    write(tmp_path, "b.md", GOOD.replace("id: a", "id: b"))
    write(tmp_path, ".draft.md", "junk")
    write(tmp_path / ".cache" / "deep", "x.md", "junk")
    write(tmp_path, "notes.rst", "ignored: not a document type")
    docs = load_corpus(tmp_path)
    assert [d.id for d in docs] == ["b", "z"]
    assert docs[1].source == str(tmp_path / "team" / "sub" / "z.md")


def test_single_file_and_unknown_kind(tmp_path: Path) -> None:
    path = write(tmp_path, "one.md", GOOD)
    assert [d.id for d in load_corpus(path)] == ["a"]
    other = write(tmp_path, "data.csv", "id,title\n")
    with pytest.raises(CorpusError, match=r"data\.csv: not a corpus"):
        load_corpus(other)


def test_jsonl_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.jsonl", b'{"id": "1", "title": "T", "text": "x"}\n{"id": "2", "text": "caf\xe9"}\n'
    )
    with pytest.raises(CorpusError, match=r"c\.jsonl:2: not UTF-8 text \(byte 0xe9 at offset 63\)"):
        load_corpus(path)


def test_jsonl_duplicate_names_both_lines(tmp_path: Path) -> None:
    rows = [
        {"_id": "7", "title": "A", "text": "a"},
        {"_id": "8", "title": "B", "text": "b"},
        {"id": 7, "title": "C", "text": "c"},
    ]
    path = write(tmp_path, "c.jsonl", "\n".join(json.dumps(r) for r in rows))
    with pytest.raises(CorpusError) as info:
        load_corpus(path)
    assert str(info.value) == f"{path}:3: duplicate document id '7' (also in {path}:1)"


def test_error_aborts_the_whole_load(tmp_path: Path) -> None:
    # The bad file sorts last: documents already read must not come back half-loaded.
    write(tmp_path, "a.md", GOOD)
    write(tmp_path, "z.md", "---\ntitle: Z\n---\n")
    with pytest.raises(CorpusError, match="empty body"):
        load_corpus(tmp_path)


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
    assert load_synonyms(path) == [("mle", "ml engineer", "machine learning engineer")]
    assert len(load_synonyms(ROOT / "corpus" / "synonyms.txt")) > 20


@pytest.mark.parametrize(
    ("content", "line_no"),
    [("alone\n", 1), ("# c\na, b\n\nx, , y\n", 4), ("a, b,\n", 1), ("ok, fine\n,\n", 2)],
)
def test_malformed_synonym_line_is_named(tmp_path: Path, content: str, line_no: int) -> None:
    path = write(tmp_path, "syn.txt", content)
    with pytest.raises(CorpusError, match=rf"syn\.txt:{line_no}: .*two or more"):
        load_synonyms(path)


def test_synonym_file_not_utf8_or_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "syn.txt", b"a, b\ncaf\xe9, coffee\n")
    with pytest.raises(CorpusError, match=r"syn\.txt:2: not UTF-8 text \(byte 0xe9 at offset 8\)"):
        load_synonyms(path)
    with pytest.raises(CorpusError, match="no such synonyms file"):
        load_synonyms(tmp_path / "missing.txt")


def test_readme_example_document_loads(tmp_path: Path) -> None:
    # corpus/README.md shows teams a document to copy: it must stay a valid one.
    readme = (ROOT / "corpus" / "README.md").read_text(encoding="utf-8")
    example = readme.split("```markdown\n", 1)[1].split("```", 1)[0]
    write(tmp_path, "onboarding.md", example)
    [doc] = load_corpus(tmp_path)
    assert (doc.id, doc.title, doc.authors, doc.site) == (
        "onboarding-ml-team",
        "How our ML team works",
        ("Ada Lovelace", "Grace Hopper"),
        "Team wiki",
    )
    assert doc.url == "https://wiki.example.com/ml-team" and doc.text.startswith("## Our on-call rotation")


# -- only regular files inside the corpus are read (issue 10, item 7) ---------------------

SECRET = "SLACK_BOT_TOKEN=xoxb-not-a-real-token-0000"


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    """An app directory with a secret .env beside a corpus holding one good document."""
    (tmp_path / ".env").write_text(SECRET + "\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write(corpus, "good.md", GOOD)
    return corpus


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_a_link_out_of_the_corpus_is_refused_and_never_read(deployment: Path) -> None:
    (deployment / "notes.txt").symlink_to("../.env")
    with pytest.raises(CorpusError, match="outside the corpus directory") as info:
        load_corpus(deployment)
    assert str(deployment / "notes.txt") in str(info.value) and SECRET not in str(info.value)
    proc = run_cli("corpus", "--corpus", str(deployment))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("careerbot: error: ")
    assert "notes.txt" in proc.stderr and "xoxb" not in proc.stderr


def test_a_synonyms_link_out_of_the_corpus_is_refused(deployment: Path) -> None:
    # A synonyms error quotes the bad line: linked to .env, it would print the token.
    (deployment / "synonyms.txt").symlink_to("../.env")
    proc = run_cli("corpus", "--corpus", str(deployment))
    assert proc.returncode == 2 and "outside the corpus directory" in proc.stderr
    assert "synonyms.txt" in proc.stderr and "xoxb" not in proc.stderr + proc.stdout


@pytest.mark.timeout(60)
def test_a_fifo_is_refused_without_opening_it(deployment: Path) -> None:
    os.mkfifo(deployment / "pipe.md")  # opening it for reading would block start-up forever
    with pytest.raises(CorpusError, match=r"pipe\.md: a named pipe \(FIFO\), not a regular file"):
        load_corpus(deployment)
    os.mkfifo(deployment.parent / "corpus.jsonl")
    with pytest.raises(CorpusError, match="named pipe"):
        load_corpus(deployment.parent / "corpus.jsonl")


@pytest.mark.timeout(60)
def test_a_link_to_dev_zero_is_refused(deployment: Path, tmp_path: Path) -> None:
    (deployment / "zero.md").symlink_to("/dev/zero")
    with pytest.raises(CorpusError, match=r"zero\.md: a symbolic link to /dev/zero, outside"):
        load_corpus(deployment)
    # Given as the corpus itself (no directory to stay inside), it is still not a regular file.
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    with pytest.raises(CorpusError, match="a character device, not a regular file"):
        load_corpus(tmp_path / "zero.jsonl")


def test_a_linked_directory_out_of_the_corpus_is_refused(deployment: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    write(outside, "b.md", GOOD.replace("id: a", "id: b"))
    (deployment / "more").symlink_to(outside)
    with pytest.raises(CorpusError, match=r"more: a symbolic link to .*elsewhere, outside"):
        load_corpus(deployment)


def test_links_inside_the_corpus_are_read(deployment: Path) -> None:
    sub = deployment / "sub"
    sub.mkdir()
    write(sub, "b.md", GOOD.replace("id: a", "id: b"))
    (deployment / "alias").symlink_to("sub")  # not followed: its files are read where they are
    (deployment / "d.md").symlink_to("sub/b.md")
    write(sub, "b.md", "---\ntitle: B\n---\nbody\n")  # ids from file names: b and d
    assert [d.id for d in load_corpus(deployment)] == ["d", "a", "b"]


def test_a_broken_link_is_named(deployment: Path) -> None:
    (deployment / "gone.md").symlink_to("missing.md")
    with pytest.raises(CorpusError, match=r"gone\.md: a broken symbolic link"):
        load_corpus(deployment)


def test_size_is_checked_before_reading(deployment: Path) -> None:
    big = deployment / "big.md"
    with big.open("wb") as fh:  # sparse: 6 MB by stat(), nothing written
        fh.truncate(6_000_000)
    with pytest.raises(CorpusError, match=r"big\.md: too large \(6,000,000 bytes; at most 5,000,000\)"):
        load_corpus(deployment)


# -- inputs that cost more than their size (issue 10, item 12) ---------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("title: x\nx: " + "[" * 60_000, "front matter too large"),
        ("title: x\nx: " + "[" * 2_000, r"nested too deeply \(more than 16 levels"),
        ("title: x\nx: " + "{a: " * 500, "nested too deeply"),
        (
            "title: x\n" + "".join(f"k{i}: [a, b, {{c: d}}]\n" for i in range(200_000)),
            "front matter too large",
        ),
    ],
)
def test_costly_front_matter_is_one_line_error(tmp_path: Path, front: str, message: str) -> None:
    write(tmp_path, "a.md", f"---\n{front}\n---\nbody\n")
    with pytest.raises(CorpusError, match=message) as info:
        load_corpus(tmp_path)
    assert "\n" not in str(info.value)


def test_front_matter_nesting_within_bounds_loads(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: '[x]'\nextra: " + "[" * 16 + "]" * 16 + "\n---\nbody\n")
    assert load_corpus(tmp_path)[0].title == "[x]"


@pytest.mark.timeout(60)
def test_deeply_nested_jsonl_is_one_line_error(tmp_path: Path) -> None:
    path = write(tmp_path, "c.jsonl", '{"id": "1", "title": "T", "text": "x", "m": ' + "[" * 100_000 + "\n")
    with pytest.raises(CorpusError, match=r"c\.jsonl:1: JSON nested too deeply"):
        load_corpus(path)


@pytest.mark.timeout(60)
def test_a_synonyms_fifo_is_refused_not_skipped(deployment: Path) -> None:
    from retrieval import Engine

    os.mkfifo(deployment / "synonyms.txt")
    with pytest.raises(CorpusError, match=r"synonyms\.txt: a named pipe \(FIFO\), not a regular file"):
        Engine.from_corpus(deployment)


def test_the_bundled_corpus_is_found_as_package_data() -> None:
    # After a non-editable install corpus/ sits in site-packages: it is found by import, not by path.
    import importlib.resources

    from bot.settings import Settings
    from retrieval.corpus import DEFAULT_CORPUS

    assert Path(str(importlib.resources.files("corpus"))) == DEFAULT_CORPUS
    assert Settings.model_fields["careerbot_corpus"].default == DEFAULT_CORPUS
    assert len(load_corpus(DEFAULT_CORPUS)) == 5


def test_parse_yaml_bounds_any_corpus_yaml(tmp_path: Path) -> None:
    # For a corpus's own settings file (careerbot.yaml) as much as for front matter.
    from retrieval.documents import parse_yaml, read_corpus_text

    path = write(tmp_path, "careerbot.yaml", "name: Bot\nexamples: [a, b]\n")
    assert parse_yaml(path, read_corpus_text(path, tmp_path), "careerbot.yaml") == {
        "name": "Bot",
        "examples": ["a", "b"],
    }
    for raw, message in (
        ("x: " + "[" * 40, r"careerbot\.yaml: careerbot\.yaml nested too deeply"),
        ("a: 1\nb: [unclosed\n", r"broken YAML in careerbot\.yaml \(line 3\)"),
        ("x: " + "a" * 20_000, r"careerbot\.yaml too large \(20,003 bytes; at most 16,384\)$"),
        ("!!python/object/apply:os.system ['true']", "broken YAML in careerbot.yaml"),
    ):
        with pytest.raises(CorpusError, match=message):
            parse_yaml(path, raw, "careerbot.yaml")
