"""The platform-neutral answering flow that Slack, Discord interactions and the Discord gateway call.

Platform code receives, renders and sends; everything between "a person asked" and "here is
what to show" lives here, once:

- `Answering.ask()`: ask the engine; a question the engine cannot read (`QuestionError`) comes
  back as `Asked.problem` for a kind reply, never as an exception. One log line per question.
- `Answering.remember_unanswered()`: log a question the corpus had no answer for (for
  `careerbot feedback`), after the reply is on its way; a broken store costs a log line.
- `Answering.claim_once()`: claim a delivery (event, message) so a retry or a second worker
  answers once; without the store, answering twice beats not answering.
- `Answering.claim_welcome()` / `release_welcome()`: welcome a person once, and release the
  claim when the welcome could not be sent, so their next join tries again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.store import Store, StoreError
from retrieval import Answer, Engine, QuestionError

logger = logging.getLogger(__name__)
# One line per question asked on any front end; its own logger so it can be routed or silenced.
answers_log = logging.getLogger("careerbot.answers")


@dataclass(frozen=True)
class Asked:
    """The outcome of one question: the engine's answer, or why the question can't be read."""

    question: str
    answer: Answer | None = None
    problem: str | None = None  # the QuestionError message, for a kind reply

    @property
    def unanswered(self) -> bool:
        """A readable question the corpus had no answer for."""
        return self.answer is not None and not self.answer.answered


class Answering:
    """The engine and the store as every front end uses them (built once per process)."""

    def __init__(self, engine: Engine, store: Store, *, log_questions: bool = False) -> None:
        self.engine = engine
        self.store = store
        self.log_questions = log_questions

    def ask(self, question: str, *, platform: str, entry: str, top_k: int | None = None) -> Asked:
        """Ask the engine. `entry` names the front end's entry point (mention, dm, command:/career...);
        `top_k` asks for more passages than usual (follow-ups filter out those already shown)."""
        started = time.perf_counter()
        try:
            answer = self.engine.ask(question) if top_k is None else self.engine.ask(question, top_k=top_k)
            asked = Asked(question, answer=answer)
        except QuestionError as exc:
            # An empty or too long question is not an error of ours: the reply says what to change.
            asked = Asked(question, problem=str(exc))
        self._log(asked, platform, entry, (time.perf_counter() - started) * 1000)
        return asked

    def _log(self, asked: Asked, platform: str, entry: str, latency_ms: float) -> None:
        # Never tokens or response URLs; the question itself only when CAREERBOT_LOG_QUESTIONS=true.
        hits = asked.answer.hits if asked.answer is not None else ()
        line = (
            f"platform={platform} entry={entry} answered={bool(asked.answer and asked.answer.answered)} "
            f"hits={len(hits)} top_score={hits[0].score if hits else 0.0:.3f} latency_ms={latency_ms:.1f}"
        )
        if asked.problem is not None:
            line += " unreadable=True"
        if self.log_questions:
            line += f" question={asked.question!r}"
        answers_log.info("%s", line)

    def remember_unanswered(self, asked: Asked, platform: str) -> None:
        """Log a question the corpus had no answer for (for `careerbot feedback`).

        Called after the reply is on its way: a slow or broken database must never delay an
        answer past the platform's three seconds, and it only costs a log line.
        """
        if not asked.unanswered:
            return
        assert asked.answer is not None
        try:
            self.store.log_unanswered(platform, asked.answer.question)
        except StoreError:
            logger.warning("could not log an unanswered question", exc_info=True)

    def claim_once(self, key: str) -> bool:
        """Claim a delivery; False for a duplicate or a retry of one already claimed."""
        try:
            return self.store.claim_event(key)
        except StoreError:
            # Without the store we cannot de-duplicate; answering twice beats not answering.
            logger.warning("%s: could not claim it, answering anyway", key, exc_info=True)
            return True

    def claim_welcome(self, platform: str, user: str) -> bool:
        """True when this person has not been welcomed yet (and now is being); False otherwise,
        also when the store is unavailable (no welcome beats a welcome every join)."""
        try:
            return self.store.claim_welcome(platform, user)
        except StoreError:
            logger.error("welcome for %s skipped: store unavailable", user, exc_info=True)
            return False

    def release_welcome(self, platform: str, user: str) -> None:
        """The welcome could not be sent: let their next join try again."""
        try:
            self.store.release_welcome(platform, user)
        except StoreError:
            logger.error("could not release the welcome claim for %s", user, exc_info=True)
