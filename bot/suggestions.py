"""The questions careerbot offers as people type (Discord autocomplete) or open it (Slack prompts).

The engine's example questions come first, then questions derived from the corpus's section
headings that the engine really answers (retrieval.suggest). Deriving them asks the engine
once per heading, so it runs in a background thread, started on first use (never before a
fork: gunicorn builds the app in its master); until it is done, only the example questions
are offered, and an autocomplete never waits for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from retrieval import Engine, QuestionError
from retrieval.suggest import MAX_SUGGESTIONS, Suggestions, answerable, heading_questions

logger = logging.getLogger(__name__)

MAX_HEADINGS = 300  # a large corpus has thousands; the first few hundred distinct ones are plenty
MAX_PASSAGES_SCANNED = 20_000


def _weight(engine: Engine) -> Callable[[str], float]:
    """The engine's idf for a term (1.0 if this engine doesn't expose it)."""
    index = getattr(getattr(engine, "search", None), "passages", None)
    idf = getattr(index, "term_idf", None)
    return idf if callable(idf) else (lambda term: 1.0)


class QuestionSuggestions:
    """Example questions plus answerable heading questions, ranked against typed text."""

    def __init__(self, engine: Engine, *, background: bool = True) -> None:
        self.engine = engine
        self._examples = tuple(engine.example_questions())
        self._ready = threading.Event()
        self._started = False
        self._lock = threading.Lock()
        self._suggestions = Suggestions(self._examples, _weight(engine))
        if not background:
            self._started = True
            self._build()

    def _start(self) -> None:
        """Start deriving the heading questions (once, in this process)."""
        if self._started:
            return
        with self._lock:
            if not self._started:
                self._started = True
                # Not a daemon: the interpreter waits for it at exit instead of tearing down the
                # engine (C extensions) under a running build.
                threading.Thread(target=self._build, name="careerbot-suggestions").start()

    def _headings(self) -> list[str]:
        seen: dict[str, None] = {}
        passages = self.engine.passages
        for n in range(min(len(passages), MAX_PASSAGES_SCANNED)):
            section = passages[n].section
            if section and section not in seen:
                seen[section] = None
                if len(seen) >= MAX_HEADINGS:
                    break
        return list(seen)

    def _answers(self, question: str) -> bool:
        try:
            return self.engine.ask(question).answered
        except QuestionError:
            return False

    def _build(self) -> None:
        try:
            derived = answerable(heading_questions(self._headings()), self._answers)
            self._suggestions = Suggestions((*self._examples, *derived), _weight(self.engine))
        except Exception:
            # Suggestions are a convenience: without them the example questions still work.
            logger.exception("could not derive questions from the corpus headings")
        finally:
            self._ready.set()

    def wait(self, timeout: float) -> bool:
        """Start the build if needed; True once the heading questions are in."""
        self._start()
        return self._ready.wait(timeout)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def all(self) -> list[str]:
        self._start()
        return self._suggestions.all

    def rank(self, typed: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
        self._start()
        return self._suggestions.rank(typed, limit)
