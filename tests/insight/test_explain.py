"""The explain adapter: Engine.explain() shown as it is when the engine has it, assembled otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from bot.insight.explain import explain_view
from bot.insight.render import explain_page
from retrieval import Engine


class Step(BaseModel):
    name: str
    detail: tuple[str, ...]


@dataclass
class FakeExplanation:
    answered: bool
    steps: list[Step]


class EngineWithExplain:
    def explain(self, question: str) -> FakeExplanation:
        return FakeExplanation(answered=False, steps=[Step(name="<b>clean</b>", detail=(question,))])


def test_the_engines_own_explanation_is_shown_whatever_its_shape() -> None:
    view = explain_view(EngineWithExplain(), "<script>x</script> pay?")  # type: ignore[arg-type]
    assert view.source == "engine" and view.answered is False
    assert view.steps == {
        "answered": False,
        "steps": [{"name": "<b>clean</b>", "detail": ["<script>x</script> pay?"]}],
    }
    page = explain_page(view)
    assert "<script" not in page and "&lt;b&gt;clean&lt;/b&gt;" in page
    assert "assembled" not in page


def test_assembled_explanation_today(engine: Engine) -> None:
    view = explain_view(engine, "What does an ML engineer do day to day?")
    if callable(getattr(engine, "explain", None)):
        assert view.source == "engine"  # retrieval's own explanation has landed
        return
    assert view.source == "adapter" and view.answered is True
    assert view.steps["concepts"] and view.steps["best candidates"][0]["passage"]
    refused = explain_view(engine, "When does the cafeteria open?")
    assert refused.answered is False and refused.steps["answer"] == "no answer"
    bad = explain_view(engine, "   ")
    assert bad.error and "empty" in bad.error
    assert "empty" in explain_page(bad)
