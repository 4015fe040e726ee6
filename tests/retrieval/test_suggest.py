"""Suggested questions: headings turned into questions, and ranking against partial input."""

from __future__ import annotations

import pytest

from retrieval import Engine
from retrieval.suggest import (
    MAX_LENGTH,
    MAX_SUGGESTIONS,
    Suggestions,
    answerable,
    heading_question,
    heading_questions,
)


@pytest.mark.parametrize(
    ("heading", "question"),
    [
        ("Career Opportunities", "What are the career opportunities?"),
        ("Key Differences:", "What are the key differences?"),
        ("Development Process", "What about development process?"),
        ("Role of uncertainty", "What about role of uncertainty?"),
        (
            "The Subtle Nuance Between Software and ML Engineers",
            "What about the subtle nuance between software and ML engineers?",
        ),
        ("The skills of MLEs", "What are the skills of MLEs?"),
        ("What are MLEs", "What are MLEs?"),
        ("how do I become an ML engineer?", "How do I become an ML engineer?"),
        (
            "Software Engineers Will (Probably) Never Be ML Engineers",
            "Why will software engineers never be ML engineers?",
        ),
        ("  Pipeline   maturity ", "What about pipeline maturity?"),
    ],
)
def test_headings_become_questions(heading: str, question: str) -> None:
    assert heading_question(heading) == question


@pytest.mark.parametrize(
    "heading",
    [
        "Final Thoughts",
        "Quotes",
        "My 2 cents",
        "A reader's question and a worked example",
        "Potential Solutions",
        "",
        "(draft)",
        "x" * 90,
    ],
)
def test_headings_that_name_no_topic_are_skipped(heading: str) -> None:
    assert heading_question(heading) is None


def test_heading_questions_are_unique_and_in_order() -> None:
    found = heading_questions(["Skills", None, "Final Thoughts", "skills", "Career Opportunities", "Skills"])
    assert found == ["What are the skills?", "What are the career opportunities?"]


def test_answerable_keeps_what_the_ask_function_answers() -> None:
    assert answerable(["a?", "b?", "c?"], lambda q: q != "b?") == ["a?", "c?"]


QUESTIONS = [
    "What does a machine learning engineer do day to day?",
    "Will ML engineers need to learn DevOps?",
    "What are the career opportunities?",
    "What about domain expertise?",
    "What are the skills of ML engineers?",
]


def test_nothing_typed_gives_the_questions_in_order() -> None:
    suggestions = Suggestions(QUESTIONS)
    assert suggestions.rank("") == QUESTIONS
    assert suggestions.rank("   ", limit=2) == QUESTIONS[:2]


def test_typed_terms_rank_and_stem_and_the_word_being_typed_matches_by_prefix() -> None:
    suggestions = Suggestions(QUESTIONS)
    assert suggestions.rank("careers")[0] == "What are the career opportunities?"  # stemmed
    assert suggestions.rank("devo") == ["Will ML engineers need to learn DevOps?"]  # still typing
    assert suggestions.rank("skill ")[0] == "What are the skills of ML engineers?"
    assert suggestions.rank("ml eng")[:2] == [QUESTIONS[1], QUESTIONS[4]]  # both words, given order
    assert suggestions.rank("quantum cafeteria") == []  # nothing matches: nothing offered
    assert suggestions.rank("d") == []  # one letter is not enough to go on


def test_weights_decide_between_matches_and_the_typed_start_wins() -> None:
    weights = {"domain": 5.0, "skill": 0.5}
    suggestions = Suggestions(QUESTIONS, weight=lambda t: weights.get(t, 1.0))
    assert suggestions.rank("domain skills ")[:2] == [QUESTIONS[3], QUESTIONS[4]]
    assert suggestions.rank("what are the sk")[0] == QUESTIONS[4]  # the typed text begins it


def test_at_most_25_suggestions_each_within_discord_limits() -> None:
    many = [f"What about skill number {n}?" for n in range(60)] + ["", "x" * (MAX_LENGTH + 1), QUESTIONS[0]]
    suggestions = Suggestions(many + [QUESTIONS[0].upper()])  # case-insensitive duplicates dropped
    ranked = suggestions.rank("skill")
    assert len(ranked) == MAX_SUGGESTIONS and ranked == many[:MAX_SUGGESTIONS]
    assert all(1 <= len(q) <= MAX_LENGTH for q in suggestions.all)
    assert suggestions.all.count(QUESTIONS[0]) == 1 and QUESTIONS[0].upper() not in suggestions.all
    assert suggestions.rank("skill", limit=100) == ranked  # never more than Discord takes
    assert suggestions.rank("skill " * 500)  # very long input is cut, not refused


def test_bundled_corpus_headings_give_questions_it_answers() -> None:
    engine = Engine.from_corpus()
    derived = heading_questions(p.section for p in engine.passages)
    kept = answerable(derived, lambda q: engine.ask(q).answered)
    assert len(kept) >= 8 and "What are the career opportunities?" in kept
    assert "What about final thoughts?" not in derived
