"""The engine end to end on a small corpus written by the test, and on the bundled corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import EXAMPLE_QUESTIONS, Engine, QuestionError
from retrieval.engine import SAME_DOCUMENT_PENALTY, select_diverse
from retrieval.passages import normalise

DOCS = {
    "roles.md": (
        "---\nid: roles\ntitle: Roles compared\nurl: https://example.test/roles\nauthors: [Ada]\nsite: Example\n---\n"
        "## Responsibilities\n"
        "Software engineers own infrastructure and build product features that users touch every day.\n\n"
        "Machine learning engineers train models, evaluate them and keep them healthy in production.\n\n"
        "## Pay\n"
        "Compensation for both roles depends on the company, the level and the city.\n"
    ),
    "mlops.md": (
        "---\nid: mlops\ntitle: MLOps basics\nurl: https://example.test/mlops\nauthors: []\nsite: Example\n---\n"
        "Monitoring models in production is the heart of MLOps: data drifts and models decay.\n\n"
        "Deployment pipelines retrain and ship a model when its accuracy drops below a threshold.\n"
    ),
}
SYNONYMS = "mle, ml engineer, machine learning engineer\nsalary, pay, compensation\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("corpus")
    for name, text in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "synonyms.txt").write_text(SYNONYMS, encoding="utf-8")
    return Engine.from_corpus(root)


def test_answers_quote_passages_with_sources(tiny: Engine) -> None:
    answer = tiny.ask("What do machine learning engineers do with models?")
    assert answer.answered
    best = answer.hits[0]
    # The short first paragraph is joined to the next one: passages are never stubs.
    assert best.text == (
        "Software engineers own infrastructure and build product features that users touch every day.\n"
        "Machine learning engineers train models, evaluate them and keep them healthy in production."
    )
    assert (best.doc_id, best.title, best.url, best.authors, best.site) == (
        "roles",
        "Roles compared",
        "https://example.test/roles",
        ("Ada",),
        "Example",
    )
    assert best.section == "Responsibilities"
    scores = [h.score for h in answer.hits]
    assert scores == sorted(scores, reverse=True) or len({h.doc_id for h in answer.hits}) > 1


def test_synonyms_and_slack_markup(tiny: Engine) -> None:
    answer = tiny.ask("<@U123> what is the salary for these roles? :moneybag:")
    assert answer.question == "what is the salary for these roles?"
    assert answer.answered
    assert answer.hits[0].text.startswith("Compensation for both roles")


def test_off_topic_and_gibberish_get_no_answer(tiny: Engine) -> None:
    for question in ("What time does the cafeteria open?", "lorem ipsum dolor", "asdf qwerty"):
        answer = tiny.ask(question)
        assert not answer.answered and answer.hits == ()


def test_bad_questions_raise_clear_errors(tiny: Engine) -> None:
    for bad in ("", "   ", "x" * 100_000, "why\x07"):
        with pytest.raises(QuestionError):
            tiny.ask(bad)


def test_top_k_and_no_duplicate_texts(tiny: Engine) -> None:
    answer = tiny.ask("models in production monitoring deployment", top_k=1)
    assert len(answer.hits) == 1
    answer = tiny.ask("models in production monitoring deployment", top_k=5)
    texts = [normalise(h.text) for h in answer.hits]
    assert len(texts) == len(set(texts))


def test_diversity_prefers_new_documents_when_close() -> None:
    ranked = [(0, 10.0), (1, 9.5), (2, 9.0), (3, 2.0)]
    docs = ["a", "a", "b", "c"]
    # 9.5 * penalty < 9.0, so the passage of document b comes second.
    assert 9.5 * SAME_DOCUMENT_PENALTY < 9.0
    assert select_diverse(ranked, docs, 3) == [(0, 10.0), (2, 9.0), (1, 9.5)]
    # top_k is honoured: the floor on further hits is applied before, in the engine
    assert select_diverse(ranked, docs, 4)[-1] == (3, 2.0)


def test_overview_covers_aspects_with_distinct_passages() -> None:
    engine = Engine.from_corpus()
    items = engine.overview()
    assert len(items) >= 4
    assert len({i.hit.passage_id for i in items}) == len(items)
    assert all(i.hit.url for i in items)


def test_bundled_corpus_answers_and_abstains() -> None:
    engine = Engine.from_corpus()
    assert len(engine.documents) == 5
    assert engine.ask("Will ML engineers need to learn DevOps?").answered
    assert not engine.ask("How do I connect to the office printer?").answered
    for question in EXAMPLE_QUESTIONS:  # the questions we suggest must have answers
        assert engine.ask(question).answered, question


def test_saved_engine_answers_identically(tiny: Engine, tmp_path: Path) -> None:
    # Saving needs the corpus the engine came from: rebuild one in tmp_path.
    root = tmp_path / "c"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "synonyms.txt").write_text(SYNONYMS, encoding="utf-8")
    engine = Engine.from_corpus(root)
    engine.save(tmp_path / "index.npz")
    loaded = Engine.load(tmp_path / "index.npz", root)
    for question in ("what is the pay for these roles?", "monitoring models", "cafeteria"):
        assert loaded.ask(question) == engine.ask(question)
