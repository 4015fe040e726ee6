"""The explain view: the engine's own explanation (Engine.ask(..., explain=True)) as HTML, escaped."""

from __future__ import annotations

import html
import re

from bench.insight import SCRIPT_QUESTION
from bot.insight.explain import TOP_K, explain_view
from bot.insight.render import explain_page
from retrieval import Engine
from retrieval.explain import format_explanation


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_the_view_is_the_engines_explanation(engine: Engine) -> None:
    question = "When does the cafeteria open?"
    view = explain_view(engine, question)
    asked = engine.ask(question, top_k=TOP_K, explain=True)
    assert view.answer == asked and view.answered is False and asked.explanation is not None
    assert view.text == format_explanation(asked.explanation)  # what `careerbot ask --explain` prints
    page = explain_page(view)
    assert f"<pre>{html.escape(view.text)}</pre>" in page
    whole = asked.explanation.whole
    (part,) = re.findall(r'<section class="part" id="explain-whole">(.*?)</section>', page)
    rows = re.findall(r'<tr class="concept"><td class="label">(.*?)</td><td class="kind">(.*?)</td>', part)
    assert rows == [(html.escape(c.label), c.kind) for c in whole.concepts] and rows
    assert ("cafeteria", "absent") in rows
    assert f"verdict: no answer ({whole.gate.reason})" in text_of(part)
    assert f"{whole.gate.held_share:.0%} of the known information" in text_of(part)
    assert "Verdict: not answered" in page and 'id="explain-answer"' in page


def test_an_answered_question_of_two_parts(engine: Engine) -> None:
    view = explain_view(engine, "What does an ML engineer do day to day? And do they write tests?")
    assert view.answer is not None and view.answered is True
    page = explain_page(view)
    assert 'id="explain-part-1"' in page and 'id="explain-part-2"' in page
    assert all(html.escape(h.passage_id) in page for h in view.answer.hits) and view.answer.hits
    assert text_of(page).count("verdict: answer (") == 3  # the whole question and both parts


def test_every_value_is_escaped(engine: Engine) -> None:
    page = explain_page(explain_view(engine, SCRIPT_QUESTION))
    assert "<script" not in page and "<b>" not in page
    assert html.escape(SCRIPT_QUESTION) in page


def test_a_question_that_cannot_be_read(engine: Engine) -> None:
    view = explain_view(engine, "   ")
    assert view.answer is None and view.error and "empty" in view.error
    page = explain_page(view)
    assert "empty" in page and "Verdict: the question can&#x27;t be read" in page
