"""The platform-neutral answering flow that Slack, Discord interactions and the Discord gateway call.

Platform code receives, renders and sends; everything between "a person asked" and "here is
what to show" lives here, once:

- `Answering.ask()`: ask the engine; a question the engine cannot read (`QuestionError`) comes
  back as `Asked.problem` for a kind reply, never as an exception. One log line per question.
- `Answering.remember_unanswered()`: after the reply is on its way, record the asked question
  (platform, entry point, answered, hits: the insight page's `asks`) and log it when the corpus
  had no answer (for `careerbot feedback`); a broken store costs a log line.
- `Answering.claim_once()`: claim a delivery (event, message) so a retry or a second worker
  answers once; without the store, answering twice beats not answering.
- `Answering.claim_welcome()` / `release_welcome()`: welcome a person once, and release the
  claim when the welcome could not be sent, so their next join tries again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.helpers import Helpers, resolve_helpers
from bot.store import AskRecord, Store, StoreError, new_ask_id
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
    # Set by Answering.ask(): the id the answer's buttons carry, and where it was asked.
    ask_id: str | None = None
    platform: str = ""
    entry: str = ""
    channel: str | None = None
    user: str | None = None

    @property
    def unanswered(self) -> bool:
        """A readable question the corpus had no answer for."""
        return self.answer is not None and not self.answer.answered


class Answering:
    """The engine and the store as every front end uses them (built once per process)."""

    def __init__(
        self, engine: Engine, store: Store, *, log_questions: bool = False, helpers: str = ""
    ) -> None:
        self.engine = engine
        self.store = store
        self.log_questions = log_questions
        self.helpers = helpers  # CAREERBOT_HELPERS: whom "Ask a person" hands a question to

    def helpers_for(self, platform: str, channel: str | None) -> Helpers:
        """The helpers for a hand-off in `channel`: its stored override, else CAREERBOT_HELPERS."""
        return resolve_helpers(self.helpers, self.store, platform, channel)

    def ask(
        self,
        question: str,
        *,
        platform: str,
        entry: str,
        top_k: int | None = None,
        channel: str | None = None,
        user: str | None = None,
    ) -> Asked:
        """Ask the engine. `entry` names the front end's entry point (mention, dm, command:/career...);
        `top_k` asks for more passages than usual (follow-ups filter out those already shown).
        `channel` and `user` are stored with the ask (the insight page counts people, never shows them)."""
        started = time.perf_counter()
        answer: Answer | None = None
        problem: str | None = None
        try:
            answer = self.engine.ask(question) if top_k is None else self.engine.ask(question, top_k=top_k)
        except QuestionError as exc:
            # An empty or too long question is not an error of ours: the reply says what to change.
            problem = str(exc)
        asked = Asked(
            question,
            answer=answer,
            problem=problem,
            ask_id=new_ask_id(),
            platform=platform,
            entry=entry,
            channel=channel,
            user=user,
        )
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
        """Record the asked question, and log it when the corpus had no answer for it.

        Called after the reply is on its way: a slow or broken database must never delay an
        answer past the platform's three seconds, and it only costs a log line.
        """
        self.record_ask(asked, platform)
        if not asked.unanswered:
            return
        assert asked.answer is not None
        try:
            self.store.log_unanswered(platform, asked.answer.question)
        except StoreError:
            logger.warning("could not log an unanswered question", exc_info=True)

    def record_ask(self, asked: Asked, platform: str) -> None:
        """Store one asked question for the insight page (once per ask id)."""
        if asked.answer is None or asked.ask_id is None:
            return  # unreadable questions are not questions the corpus could answer
        answer = asked.answer
        try:
            self.store.record_ask(
                AskRecord(
                    ask_id=asked.ask_id,
                    platform=asked.platform or platform,
                    entry=asked.entry or "unknown",
                    question=answer.question,
                    answered=answer.answered,
                    hits=len(answer.hits),
                    passage_ids=tuple(h.passage_id for h in answer.hits),
                    concepts=self.concept_key(answer.question),
                    channel=asked.channel,
                    user=asked.user,
                )
            )
        except StoreError:
            logger.warning("could not record an asked question", exc_info=True)

    def concept_key(self, question: str) -> str:
        """The question's concepts (their first terms, sorted): unanswered questions that say
        the same thing in other words share a key on the insight page."""
        try:
            concepts = self.engine.synonyms.concepts(question)
        except Exception:  # grouping is a nicety; never lose the ask over it
            logger.warning("could not analyse a question for grouping", exc_info=True)
            return ""
        return " ".join(sorted({c.terms[0] for c in concepts if c.terms}))

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
