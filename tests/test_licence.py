"""LICENSE, NOTICE and corpus/README.md credit every bundled article as its front matter does."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.documents import load_corpus
from retrieval.models import Document

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted(load_corpus(ROOT / "corpus"), key=lambda d: d.id)


def _sources_section() -> str:
    text = (ROOT / "corpus" / "README.md").read_text(encoding="utf-8")
    start = text.index("## Sources and licence")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_the_code_is_mit_licensed_and_the_wheel_says_so() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = "MIT"' in pyproject
    assert 'license-files = ["LICENSE", "NOTICE"]' in pyproject


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda d: d.id)
def test_notice_and_corpus_readme_credit_each_article(doc: Document) -> None:
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    section = _sources_section()
    assert doc.url and doc.site, f"{doc.id}: front matter needs url and site for the credit"
    for text in (notice, section):
        assert f"{doc.id}.md" in text
        assert doc.title in text
        assert doc.site in text
        assert doc.url in text
        for author in doc.authors:
            assert author in text
    row = next(line for line in section.splitlines() if f"`{doc.id}.md`" in line)
    assert doc.title in row and doc.url in row and all(a in row for a in doc.authors)


def test_notice_says_the_articles_remain_their_authors_copyright() -> None:
    notice = " ".join((ROOT / "NOTICE").read_text(encoding="utf-8").split())
    assert "remains the copyright of its authors" in notice
    assert "included with attribution" in notice
    assert "remains the copyright of its authors" in " ".join(_sources_section().split())


def test_every_bundled_article_is_listed_and_nothing_else() -> None:
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    listed = {line.strip() for line in notice.splitlines() if line.startswith("corpus/")}
    assert listed == {f"corpus/{d.id}.md" for d in DOCUMENTS}
