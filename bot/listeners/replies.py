"""Turning a question into a reply payload: the one place the Slack layer calls the engine."""

from __future__ import annotations

import logging

from pydantic import BaseModel

from bot import blocks
from bot.store import Store, StoreError
from retrieval import Answer, Engine, QuestionError

logger = logging.getLogger(__name__)


class Reply(BaseModel):
    """A rendered reply: the fallback text and the blocks."""

    text: str
    blocks: list[dict]
    answer: Answer | None = None


def answer_reply(
    engine: Engine,
    question: str,
    *,
    restate: bool = False,
    share: bool = False,
    asked_by: str | None = None,
) -> Reply:
    """Ask the engine and render the answer (or the no-answer reply, or a question problem)."""
    examples = engine.example_questions()
    try:
        answer = engine.ask(question)
    except QuestionError as exc:
        # An empty or too long question is not an error of ours: say what to change, kindly.
        return Reply(
            text=blocks.question_problem_text(str(exc)),
            blocks=blocks.question_problem_blocks(str(exc), examples),
        )
    return Reply(
        text=blocks.answer_text(answer),
        blocks=blocks.answer_blocks(
            answer,
            restate=restate,
            share=share and answer.answered,
            asked_by=asked_by,
            examples=examples,
        ),
        answer=answer,
    )


def remember_unanswered(store: Store, reply: Reply, platform: str = "slack") -> None:
    """Log a question the corpus had no answer for (for `careerbot feedback`).

    Called after the reply is on its way: a slow or broken database must never delay an
    answer past Slack's three seconds, and it only costs a log line.
    """
    if reply.answer is None or reply.answer.answered:
        return
    try:
        store.log_unanswered(platform, reply.answer.question)
    except StoreError:
        logger.warning("could not log an unanswered question", exc_info=True)
