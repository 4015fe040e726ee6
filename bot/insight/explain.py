"""The `careerbot ask --explain` view of one question, for the insight page.

One adapter, `explain_view(engine, question)`: when the engine has `explain(question)`
(retrieval's own explanation) its result is shown as it is, whatever its shape (a pydantic
model, a dataclass or a dict), so this page follows the CLI without a copy of its logic.
Until then a small explanation is assembled from what the engine already exposes: the
cleaned question, its concepts, the best candidates with their coverage, and the gate.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel

from retrieval import Engine, QuestionError


class ExplainView(BaseModel):
    """What the explain page shows: the question, the verdict, and the steps as plain data."""

    question: str
    answered: bool | None = None  # None when the explanation does not say
    source: str  # "engine" (Engine.explain) or "adapter" (assembled here)
    steps: dict[str, Any]  # JSON-like: str/int/float/bool/None, lists and dicts of them
    error: str | None = None  # the question could not be read (QuestionError)


def plain(value: Any) -> Any:
    """A JSON-like copy of `value` (models, dataclasses, tuples and sets become dicts and lists)."""
    if isinstance(value, BaseModel):
        return plain(value.model_dump())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    to_dict = getattr(value, "to_dict", None) or getattr(value, "to_json", None)
    if callable(to_dict):
        return plain(to_dict())
    return str(value)


def explain_view(engine: Engine, question: str) -> ExplainView:
    """The explanation of `question` (never raises for a bad question: `error` says why)."""
    explain = getattr(engine, "explain", None)
    try:
        if callable(explain):
            steps = plain(explain(question))
            if not isinstance(steps, dict):
                steps = {"explanation": steps}
            answered = steps.get("answered")
            return ExplainView(
                question=question,
                answered=answered if isinstance(answered, bool) else None,
                source="engine",
                steps=steps,
            )
        return _assembled(engine, question)
    except QuestionError as exc:
        return ExplainView(question=question, source="adapter", steps={}, error=str(exc))


def _assembled(engine: Engine, question: str) -> ExplainView:
    """Today's explanation from the engine's public surface (see the module docstring)."""
    from retrieval.question import clean_question

    text = clean_question(question)
    answer = engine.ask(question)
    steps: dict[str, Any] = {
        "cleaned question": text,
        "concepts": [" ".join(c.terms) for c in engine.synonyms.concepts(text)],
    }
    steps["best candidates"] = [
        {"passage": hit.passage_id, "score": round(hit.score, 4), "title": hit.title, "text": hit.text[:300]}
        for hit in answer.hits
    ]
    steps["answer"] = [hit.passage_id for hit in answer.hits] if answer.answered else "no answer"
    return ExplainView(
        question=answer.question or text, answered=answer.answered, source="adapter", steps=steps
    )
