"""Analyzer, question cleaning, sentence splitting, passages and de-duplication."""

from __future__ import annotations

import pytest

from retrieval.analyzer import tokenize
from retrieval.errors import QuestionError
from retrieval.models import Document, Passage
from retrieval.passages import MAX_WORDS, deduplicate, split_document, split_sentences
from retrieval.question import MAX_QUESTION_CHARS, clean_question, strip_slack_markup
from retrieval.synonyms import Concept, SynonymTable, query_weights


def test_tokenize_is_lucene_like() -> None:
    assert tokenize("The Engineer's models, and engineers' MODELLING!") == [
        "engin",
        "model",
        "engin",
        "model",
    ]
    assert tokenize("what does a ... do? how can I") == []
    assert tokenize("C++ and C# vs. Python3") == ["c++", "c#", "vs", "python3"]


def test_function_words_are_stopwords_but_open_class_words_stay() -> None:
    assert tokenize("can someone explain why every MLE says something else, though?") == [
        "explain",
        "mle",
        "say",
    ]
    # Nouns, verbs, adjectives and numerals of the Glasgow list are topics in a handbook.
    assert tokenize("on call system next two first") == ["call", "system", "next", "two", "first"]


def test_accents_are_folded_and_other_letters_kept() -> None:
    assert tokenize("Résumé, café, Zürich, naïve") == tokenize("resume cafe zurich naive")
    assert tokenize("Straße Ørsted 東京") == ["straße", "ørsted", "東京"]


def test_slack_markup_is_removed() -> None:
    raw = "<@U123> hey <!channel> what does an <https://x.test|ML engineer> do in <#C1|general>? :wave: &amp; more"
    assert " ".join(strip_slack_markup(raw).split()) == "hey what does an ML engineer do in ? & more"


def test_clean_question_errors() -> None:
    with pytest.raises(QuestionError, match="empty"):
        clean_question("   \n ")
    with pytest.raises(QuestionError, match="empty"):
        clean_question("<@U123> :wave:")
    with pytest.raises(QuestionError, match="too long"):
        clean_question("why " * 100_000)
    with pytest.raises(QuestionError, match="too long"):
        clean_question("x" * (MAX_QUESTION_CHARS + 1))
    with pytest.raises(QuestionError, match="control characters"):
        clean_question("what\x00 is \x1b[31m mlops")
    assert clean_question("  what   is\tMLOps? ") == "what is MLOps?"


def test_sentences_respect_abbreviations() -> None:
    text = "MLEs use tools, e.g. Spark. They ship models! Do they? Yes (mostly). 3 teams agree."
    assert split_sentences(text) == [
        "MLEs use tools, e.g. Spark.",
        "They ship models!",
        "Do they?",
        "Yes (mostly).",
        "3 teams agree.",
    ]


def _doc(text: str) -> Document:
    return Document(id="d", title="T", text=text)


def test_passages_are_whole_sentences_with_sections() -> None:
    long_paragraph = " ".join(
        f"Sentence number {i} talks about machine learning engineers." for i in range(40)
    )
    doc = _doc(
        f"## Intro\nShort opening line here.\n\n{long_paragraph}\n\n## Skills\n- SWEs know systems.\n- MLEs know models."
    )
    passages = split_document(doc)
    assert all(len(p.text.split()) <= MAX_WORDS for p in passages)
    for p in passages:  # never cut mid-sentence
        assert p.text.rstrip().endswith((".", "!", "?"))
    assert {p.section for p in passages} == {"Intro", "Skills"}
    skills = [p for p in passages if p.section == "Skills"]
    assert skills[0].text == "- SWEs know systems.\n- MLEs know models."  # short items joined
    assert [p.id for p in passages] == [f"d#{i}" for i in range(len(passages))]


def test_deduplicate_exact_and_near() -> None:
    base = (
        "SWEs own team infrastructure and lead product development, while MLEs focus on developing and "
        "optimizing ML models, often owning end-to-end ML pipelines. SWEs are expected to write production-ready "
        "code and maintain robust systems, while MLEs refine models through iteration and data analysis to "
        "improve business outcomes."
    )
    ps = [
        Passage(id="a#0", doc_id="a", text=base),
        Passage(id="a#1", doc_id="a", text=base.upper()),  # exact after normalisation
        Passage(id="a#2", doc_id="a", text=base.replace("iteration", "experiments")),  # near
        Passage(
            id="b#0", doc_id="b", text="An entirely different passage about MLOps and deployment pipelines."
        ),
    ]
    kept, removed = deduplicate(ps)
    assert [p.id for p in kept] == ["a#0", "b#0"]
    assert [p.id for p in removed] == ["a#1", "a#2"]


def test_synonym_concepts_match_phrases() -> None:
    table = SynonymTable(
        [["mle", "ml engineer", "machine learning engineer"], ["salary", "pay"], ["day to day", "daily"]]
    )
    concepts = table.concepts("What is the salary of a machine learning engineer in Paris?")
    assert concepts[0] == Concept(terms=("salari",), alternatives=(("pay",),))
    assert concepts[1].terms == ("machin", "learn", "engin")
    assert set(concepts[1].alternatives) == {("mle",), ("ml", "engin")}
    assert concepts[2] == Concept(terms=("pari",))
    # a phrase matches as a phrase: "the day" is not "day to day"
    assert table.concepts("at the end of the day") == [Concept(terms=("end",)), Concept(terms=("day",))]
    assert table.concepts("my day to day work")[0] == Concept(
        terms=("day", "day"), alternatives=(("daili",),)
    )
    assert query_weights(concepts) == {"salari": 1.0, "machin": 1.0, "learn": 1.0, "engin": 1.0, "pari": 1.0}
