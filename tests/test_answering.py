"""The shared answering flow: kind replies to bad questions, one log line per question, once-only claims."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.answering import Answering
from bot.store import StoreError
from bot.store.sqlite import SQLiteStore
from retrieval import Engine

LINE = re.compile(
    r"^platform=(?P<platform>\w+) entry=(?P<entry>\S+) answered=(?P<answered>True|False) "
    r"hits=(?P<hits>\d+) top_score=(?P<top>[\d.]+) latency_ms=(?P<ms>[\d.]+)(?P<rest>.*)$"
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_corpus()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "a.db")
    yield s
    s.close()


def answer_lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    lines = [r.getMessage() for r in caplog.records if r.name == "careerbot.answers"]
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    return [m for m in matches if m]


class BrokenStore:
    def claim_event(self, key: str) -> bool:
        raise StoreError("database unavailable")

    def claim_welcome(self, platform: str, user: str) -> bool:
        raise StoreError("database unavailable")

    def release_welcome(self, platform: str, user: str) -> None:
        raise StoreError("database unavailable")

    def log_unanswered(self, platform: str, question: str) -> None:
        raise StoreError("database unavailable")

    def record_ask(self, ask: object, now: object = None) -> None:
        raise StoreError("database unavailable")


def test_one_line_per_question_with_counts_and_no_question_text(
    engine: Engine, store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="careerbot.answers")
    answering = Answering(engine, store)
    answered = answering.ask("What is a feature store?", platform="slack", entry="mention")
    refused = answering.ask("when does the cafeteria open?", platform="discord", entry="command:/career")
    unreadable = answering.ask("   ", platform="slack", entry="dm")
    first, second, third = answer_lines(caplog)
    assert answered.answer is not None and answered.answer.answered
    assert (first["platform"], first["entry"], first["answered"]) == ("slack", "mention", "True")
    assert int(first["hits"]) == len(answered.answer.hits) > 0
    assert float(first["top"]) == pytest.approx(answered.answer.hits[0].score, abs=1e-3)
    assert float(first["ms"]) >= 0 and first["rest"] == ""
    assert (second["platform"], second["entry"], second["answered"]) == (
        "discord",
        "command:/career",
        "False",
    )
    assert refused.unanswered and refused.problem is None
    assert unreadable.answer is None and unreadable.problem  # a kind reply, not an exception
    assert (third["answered"], third["hits"], third["rest"]) == ("False", "0", " unreadable=True")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "feature store" not in logged and "cafeteria" not in logged


def test_the_question_is_logged_only_when_asked_for(
    engine: Engine, store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="careerbot.answers")
    Answering(engine, store, log_questions=True).ask("What is a feature store?", platform="slack", entry="dm")
    [line] = answer_lines(caplog)
    assert line["rest"] == " question='What is a feature store?'"


def test_unanswered_questions_are_remembered_and_a_broken_store_costs_a_log_line(
    engine: Engine, store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    answering = Answering(engine, store)
    for question in ("What is a feature store?", "when does the cafeteria open?"):
        answering.remember_unanswered(answering.ask(question, platform="slack", entry="dm"), "slack")
    assert store.feedback_totals().unanswered_questions == ["when does the cafeteria open?"]
    broken = Answering(engine, BrokenStore())  # type: ignore[arg-type]
    broken.remember_unanswered(broken.ask("when does lunch start?", platform="slack", entry="dm"), "slack")
    assert any("could not log an unanswered question" in r.getMessage() for r in caplog.records)
    assert any("could not record an asked question" in r.getMessage() for r in caplog.records)
    # Every readable question is recorded for the insight page, answered or not, once each.
    now = datetime.now(UTC)
    figures = store.insight(now - timedelta(days=1), now + timedelta(days=1))
    assert (figures.asked, figures.answered) == (2, 1)
    assert [g.example for g in figures.unanswered_groups] == ["when does the cafeteria open?"]


def test_claims_are_once_only_and_a_broken_store_fails_towards_the_person(
    engine: Engine, store: SQLiteStore
) -> None:
    answering = Answering(engine, store)
    assert answering.claim_once("slack:T1:C1:1.0") is True
    assert answering.claim_once("slack:T1:C1:1.0") is False
    assert answering.claim_welcome("slack", "U1") is True and answering.claim_welcome("slack", "U1") is False
    answering.release_welcome("slack", "U1")
    assert answering.claim_welcome("slack", "U1") is True
    broken = Answering(engine, BrokenStore())  # type: ignore[arg-type]
    assert broken.claim_once("k") is True  # answering twice beats not answering
    assert broken.claim_welcome("slack", "U2") is False  # no welcome beats a welcome every join
    broken.release_welcome("slack", "U2")  # logged, not raised
