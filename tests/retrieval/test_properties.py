"""Property-based tests: analysis, splitting and markup stripping on arbitrary Unicode."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.analyzer import STOPWORDS, tokenize
from retrieval.errors import QuestionError
from retrieval.models import Document
from retrieval.passages import MAX_WORDS, deduplicate, normalise, split_document, split_sentences
from retrieval.question import MAX_QUESTION_CHARS, clean_question, strip_slack_markup

TEXT = st.text(max_size=2_000)
PROSE = st.lists(
    st.text(alphabet=st.characters(categories=("L", "N", "P", "Zs")), min_size=1, max_size=200).map(
        lambda s: s + "."
    ),
    max_size=30,
).map(" ".join)


@given(TEXT)
def test_tokenize_never_crashes_and_drops_stopwords(text: str) -> None:
    tokens = tokenize(text)
    assert all(t and not t.isspace() for t in tokens)
    assert not STOPWORDS & set(tokens)
    assert tokenize(text) == tokens  # deterministic


@given(TEXT, st.sampled_from(["<!channel>", "<!here>", "<@U123ABC>", "<#C1|general>", "<!subteam^S1|@t>"]))
def test_strip_slack_markup_removes_every_mention(text: str, mention: str) -> None:
    raw = f"{text.replace('&', '')}{mention}{text.replace('&', '')}"
    # Slack sends user-typed < > & escaped, so real markup is the only <...> in raw text.
    assert re.search(r"<[@!#][^<>]*>", strip_slack_markup(raw)) is None


@given(TEXT)
@settings(max_examples=200)
def test_clean_question_returns_text_or_a_clear_error(text: str) -> None:
    try:
        cleaned = clean_question(text)
    except QuestionError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert cleaned and cleaned == cleaned.strip() and len(cleaned) <= MAX_QUESTION_CHARS


@given(PROSE)
def test_sentences_keep_every_word(text: str) -> None:
    assert " ".join(split_sentences(text)).split() == text.split()


@given(st.lists(PROSE, min_size=1, max_size=6))
@settings(max_examples=100)
def test_passages_keep_text_and_limits(paragraphs: list[str]) -> None:
    body = "\n\n".join(paragraphs)
    doc = Document(id="d", title="t", text=body)
    passages = split_document(doc)
    joined = " ".join(p.text for p in passages)
    assert joined.split() == body.split()  # nothing lost, nothing invented, order kept
    for p in passages:
        # over MAX_WORDS only when a single sentence is longer than that (never cut)
        assert len(p.text.split()) <= MAX_WORDS or len(split_sentences(p.text)) == 1
    kept, removed = deduplicate(passages)
    assert len(kept) + len(removed) == len(passages)
    assert len({normalise(p.text) for p in kept}) == len(kept)
