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
    """Today's explanation from public pieces of the engine (see the module docstring)."""
    from retrieval.engine import CANDIDATES, MIN_CONCEPTS, MIN_COVERAGE, answerable
    from retrieval.question import clean_question

    text = clean_question(question)
    concepts = engine.synonyms.concepts(text)
    answer = engine.ask(question)
    steps: dict[str, Any] = {
        "cleaned question": text,
        "concepts": [
            {
                "terms": " ".join(c.terms),
                "idf": round(sum(engine.search.passages.term_idf(t) for t in c.terms), 3),
                "also matches": [" ".join(a) for a in c.alternatives],
            }
            for c in concepts
        ],
    }
    candidates = []
    if concepts:
        for i, score in engine.search.top(concepts, CANDIDATES)[:5]:
            coverage, held = engine.match(concepts, i)
            passage = engine.passages[i]
            candidates.append(
                {
                    "passage": passage.id,
                    "score": round(float(score), 4),
                    "coverage": round(coverage, 3),
                    "concepts held": f"{held} of {len(concepts)}",
                    "passes the gate": answerable(coverage, held, len(concepts)),
                    "text": passage.text[:300],
                }
            )
    steps["best candidates"] = candidates
    steps["gate"] = (
        f"answer when the best passage holds at least {MIN_COVERAGE:.0%} of the question's "
        f"information and {MIN_CONCEPTS} of its concepts (all of them for a one-concept question)"
    )
    steps["answer"] = [hit.passage_id for hit in answer.hits] if answer.answered else "no answer"
    return ExplainView(question=text, answered=answer.answered, source="adapter", steps=steps)
