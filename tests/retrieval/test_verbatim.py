"""Verbatim means verbatim: every passage, whitespace aside, is a run of its document's text.

A passage is what the bot quotes; if splitting dropped a closing quote or glued text
from two sections together, the quote would put words in the author's mouth.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.documents import load_corpus
from retrieval.engine import DEFAULT_CORPUS
from retrieval.models import Document
from retrieval.passages import split_document, split_sentences

SCIFACT = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "scifact" / "corpus.jsonl"


def _squash(text: str) -> str:
    return "".join(text.split())


def assert_verbatim(doc: Document) -> None:
    body = _squash(doc.text)
    for passage in split_document(doc):
        assert _squash(passage.text) in body, (doc.id, passage.id, passage.text)


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    assert split_sentences('He said "ship it." Everyone agreed.') == [
        'He said "ship it."',
        "Everyone agreed.",
    ]
    assert split_sentences("It works (mostly.) Then it broke! [Really?] “Yes.” ‘No.’ Ok.") == [
        "It works (mostly.)",
        "Then it broke!",
        "[Really?]",
        "“Yes.”",
        "‘No.’",
        "Ok.",
    ]
    assert split_sentences('Use tools, e.g. "Spark." They help.') == [
        'Use tools, e.g. "Spark."',
        "They help.",
    ]


def test_a_short_tail_never_joins_a_passage_of_another_section_with_the_same_heading() -> None:
    long = " ".join(f"Sentence {i} is about engineers and models." for i in range(12))
    doc = Document(
        id="d", title="t", text=f"## Notes\n{long}\n\n## Notes\nA short tail.\n\n## \nAnother tail."
    )
    assert_verbatim(doc)
    assert [p.text for p in split_document(doc)][-2:] == ["A short tail.", "Another tail."]


WORD = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=8)
END = st.sampled_from([".", "!", "?", '."', ".)", "?”", "!’", ".]", ".”)", ""])
OPEN = st.sampled_from(["", '"', "(", "[", "“", "‘"])
SENTENCE = st.builds(
    lambda o, ws, e: o + " ".join(ws) + e, OPEN, st.lists(WORD, min_size=1, max_size=20), END
)
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=8).map(" ".join)
LINE = st.one_of(
    PARAGRAPH,
    PARAGRAPH.map(lambda p: "- " + p),
    PARAGRAPH.map(lambda p: "1. " + p),
    st.sampled_from(["## Notes", "## Skills", "#", "##", "### ", ""]),
)


@given(st.lists(LINE, min_size=1, max_size=12).map("\n".join))
@settings(max_examples=100, deadline=None)
def test_every_passage_is_a_substring_of_its_document(text: str) -> None:
    if not text.strip():
        return
    assert_verbatim(Document(id="d", title="t", text=text))


def test_bundled_corpus_passages_are_verbatim() -> None:
    for doc in load_corpus(DEFAULT_CORPUS):
        assert_verbatim(doc)


@pytest.mark.skipif(not SCIFACT.is_file(), reason="SciFact is not in ../shared")
def test_scifact_passages_are_verbatim() -> None:
    # The whole corpus (5,183 abstracts, about a second): long abstracts are split
    # between sentences, where closing brackets and quotes are most at risk.
    for line in SCIFACT.read_text().splitlines():
        record = json.loads(line)
        assert_verbatim(
            Document(id=record["_id"], title=record["title"] or record["_id"], text=record["text"])
        )
