"""Answer-quality evaluation on a labelled question file (../shared/eval format).

Matching rule (from that file's "about"): a returned passage is relevant when it contains
one of the question's spans after normalisation (lowercase, letters/digits/%/+ only,
single spaces), or shares a run of at least min(40, 60% of the span) characters with it
(a passage boundary cut the span).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from retrieval.errors import CareerbotError
from retrieval.models import Answer
from retrieval.passages import normalise

EVAL_DEPTH = 5  # MRR@5


class LabelledQuestion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    q: str
    spans: list[tuple[str, str]] = []


class QuestionFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    questions: list[LabelledQuestion]
    off_topic: list[LabelledQuestion] = []


class Miss(BaseModel):
    id: str
    question: str
    rank: int | None  # 1-based rank of the first relevant hit, None when not found
    answered: bool
    top_text: str | None


class EvalReport(BaseModel):
    in_corpus: int
    off_topic: int
    hit_at_1: float
    hit_at_3: float
    mrr_at_5: float
    answered: float
    abstained: float
    misses: list[Miss]


def load_question_file(path: Path) -> QuestionFile:
    try:
        return QuestionFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise CareerbotError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CareerbotError(f"{path}: not a JSON file ({exc})") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise CareerbotError(f"{path}: {where}: {err['msg']}") from None


def is_relevant(passage: str, spans: list[str]) -> bool:
    """The file's matching rule, on raw texts."""
    text = normalise(passage)
    for span in spans:
        target = normalise(span)
        if not target:
            continue
        if target in text:
            return True
        need = min(40, int(0.6 * len(target)))
        match = SequenceMatcher(None, text, target, autojunk=False).find_longest_match(
            0, len(text), 0, len(target)
        )
        if match.size >= need:
            return True
    return False


def evaluate(questions: QuestionFile, ask: Callable[[str, int], Answer]) -> EvalReport:
    """Score `ask(question, top_k)` on the labelled questions."""
    hit1 = hit3 = rr = answered = 0.0
    misses: list[Miss] = []
    for item in questions.questions:
        answer = ask(item.q, EVAL_DEPTH)
        spans = [s for _, s in item.spans]
        rank = next((n for n, h in enumerate(answer.hits, 1) if is_relevant(h.text, spans)), None)
        answered += answer.answered
        if rank is not None:
            hit1 += rank == 1
            hit3 += rank <= 3
            rr += 1 / rank
        if rank != 1:
            top = answer.hits[0].text if answer.hits else None
            misses.append(
                Miss(id=item.id, question=item.q, rank=rank, answered=answer.answered, top_text=top)
            )
    abstained = 0.0
    for item in questions.off_topic:
        answer = ask(item.q, EVAL_DEPTH)
        abstained += not answer.answered
        if answer.answered:
            top = answer.hits[0].text if answer.hits else None
            misses.append(Miss(id=item.id, question=item.q, rank=None, answered=True, top_text=top))
    n, m = len(questions.questions), len(questions.off_topic)
    return EvalReport(
        in_corpus=n,
        off_topic=m,
        hit_at_1=hit1 / n if n else 0.0,
        hit_at_3=hit3 / n if n else 0.0,
        mrr_at_5=rr / n if n else 0.0,
        answered=answered / n if n else 0.0,
        abstained=abstained / m if m else 0.0,
        misses=misses,
    )
