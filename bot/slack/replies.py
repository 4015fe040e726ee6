"""Turning a question into a Slack reply payload, over the shared answering flow."""

from __future__ import annotations

from pydantic import BaseModel

from bot.answering import Answering, Asked
from bot.slack import blocks
from retrieval import Answer

PLATFORM = "slack"


class Reply(BaseModel):
    """A rendered reply: the fallback text and the blocks."""

    text: str
    blocks: list[dict]
    answer: Answer | None = None
    outcome: Asked | None = None  # what Answering.ask() returned (its ask id is in the buttons)

    @property
    def asked(self) -> Asked:
        if self.outcome is not None:
            return self.outcome
        return Asked(self.answer.question if self.answer else "", answer=self.answer)


def answer_reply(
    answering: Answering,
    question: str,
    *,
    entry: str,
    restate: bool = False,
    share: bool = False,
    asked_by: str | None = None,
    channel: str | None = None,
    user: str | None = None,
    ask_id: str | None = None,
) -> Reply:
    """Ask and render the answer (or the no-answer reply, or a question problem)."""
    examples = answering.engine.example_questions()
    asked = answering.ask(question, platform=PLATFORM, entry=entry, channel=channel, user=user or asked_by)
    if asked.answer is None:
        problem = asked.problem or ""
        return Reply(
            text=blocks.question_problem_text(problem),
            blocks=blocks.question_problem_blocks(problem, examples),
        )
    answer = asked.answer
    return Reply(
        text=blocks.answer_text(answer),
        blocks=blocks.answer_blocks(
            answer,
            restate=restate,
            share=share and answer.answered,
            asked_by=asked_by,
            examples=examples,
            ask_id=ask_id or asked.ask_id,  # a re-rendered answer keeps its original id
        ),
        answer=answer,
        outcome=asked,
    )


def remember_unanswered(answering: Answering, reply: Reply) -> None:
    """Log the question when the corpus had no answer (after the reply is on its way)."""
    answering.remember_unanswered(reply.asked, PLATFORM)
