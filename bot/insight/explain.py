"""The `careerbot ask --explain` view of one question, for the insight page.

`explain_view(engine, question)` asks the engine exactly as `careerbot ask --explain` does,
through its public API: `engine.ask(question, top_k=TOP_K, explain=True)`, whose Answer
carries the Explanation (the question's cleaning, corrections, weighted concepts and the
gate's figures, for the whole question and each part of a multi-part one). The page renders
that Explanation as HTML (bot.insight.render.explain_page) beside the very text
`retrieval.explain.format_explanation` prints in the terminal, so the two cannot differ.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from retrieval import Answer, Engine, QuestionError
from retrieval.explain import format_explanation

TOP_K = 3  # `careerbot ask`'s default, and what the bot shows


class ExplainView(BaseModel):
    """One stored question explained: the engine's Answer (with its Explanation), or why not."""

    model_config = ConfigDict(frozen=True)

    question: str  # as it was asked
    answer: Answer | None = None  # None when the question can't be read (see error)
    text: str = ""  # format_explanation(answer.explanation): what the terminal shows
    error: str | None = None  # the engine's QuestionError, one line

    @property
    def answered(self) -> bool | None:
        return self.answer.answered if self.answer is not None else None


def explain_view(engine: Engine, question: str, top_k: int = TOP_K) -> ExplainView:
    """The explanation of `question` (never raises for a bad question: `error` says why)."""
    try:
        answer = engine.ask(question, top_k=top_k, explain=True)
    except QuestionError as exc:
        return ExplainView(question=question, error=str(exc))
    text = format_explanation(answer.explanation) if answer.explanation is not None else ""
    return ExplainView(question=question, answer=answer, text=text)
