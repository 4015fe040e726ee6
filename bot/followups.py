"""Follow-ups: the next message in a conversation the bot answered, answered without a mention.

A conversation is a Slack thread, a Discord thread, or a Discord reply chain; the front end
names it with a key ("C123:1700000000.000100", "thread:987", "reply:555"). Its state (the
first question, every passage already shown, how many follow-ups were answered, when) lives
in the store, never in history API calls.

Rules, the same on every platform:
- The bot follows only conversations it answered in (`started()` after an answer), so it
  never speaks in a thread it has not joined.
- A follow-up is asked as the new text together with the conversation's first question
  ("and do they need DevOps?" after "What does an ML engineer do?"); if that finds nothing,
  the new text alone. Only passages that share a word with the new text are shown (the first
  question alone would otherwise answer "thanks!"), and passages already shown in the
  conversation are never shown again.
- A follow-up with nothing new gets no reply at all: in a thread people also talk to each
  other, and the bot should speak only when it has something. A mention always gets the
  usual reply.
- Following stops after CAREERBOT_FOLLOWUP_ANSWERS follow-ups (0: never follow) or after
  CAREERBOT_FOLLOWUP_IDLE_MINUTES without an answer; a new mention starts it again.
- Who may be answered (never bots, never ourselves) is the front end's check, as for mentions.
- A follow-up that is answered is an ask like any other (entry point "followup"): its reply
  carries the ask id in its buttons, and once the reply is sent `answered()` records it, so
  the insight page and `careerbot feedback` count it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.answering import Answering, Asked
from bot.settings import Settings
from bot.store import StoreError, ThreadState, new_ask_id
from retrieval import Answer, Engine, QuestionError
from retrieval.analyzer import tokenize, words
from retrieval.gate import MAX_ABSENT_SHARE

logger = logging.getLogger(__name__)

TOP_K = 3  # passages per follow-up answer, as for any answer
ENTRY = "followup"  # the entry point follow-up asks are recorded with
MAX_CANDIDATES = 30  # the most the engine ranks; asking for more than this gains nothing
QUESTION_LIMIT = 1000  # the engine's limit on a question; the first question is cut to fit
# Thread chatter that is not a follow-up question, however the engine would score it.
CHATTER = frozenset(
    """
    thanks thank thx ty cheers ok okay k cool great nice awesome perfect got it yes yeah yep no nope
    lol haha wow agreed agree same true right sure makes sense good point interesting helpful
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@dataclass(frozen=True)
class FollowUpPolicy:
    """How long the bot keeps following a conversation."""

    max_answers: int = 5
    idle_seconds: float = 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> FollowUpPolicy:
        return cls(settings.careerbot_followup_answers, settings.careerbot_followup_idle_minutes * 60)

    @property
    def enabled(self) -> bool:
        return self.max_answers > 0


def combined_query(first_question: str, text: str) -> str:
    """The follow-up's text with the conversation's first question, within the engine's limit."""
    text = " ".join(text.split())
    room = QUESTION_LIMIT - len(text) - 1
    first = " ".join(first_question.split())
    if room <= 0 or not first:
        return text[:QUESTION_LIMIT]
    return f"{text} {first[:room]}".strip()


class Conversations:
    """Follow-up state over the store; every store failure costs a log line, never a reply."""

    def __init__(
        self,
        answering: Answering,
        policy: FollowUpPolicy | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.answering = answering
        self.store = answering.store
        self.policy = policy or FollowUpPolicy()
        self.clock = clock

    # -- state ----------------------------------------------------------------------------

    def started(self, platform: str, key: str, question: str, answer: Answer | None) -> None:
        """The bot answered `question` in conversation `key` (a mention, a DM, a shared answer):
        follow it from now on. A conversation followed before keeps its shown passages."""
        if not self.policy.enabled or not question.strip():
            return
        try:
            previous = self.store.get_thread(platform, key)
            shown = _merge(previous.shown if previous else (), answer)
            self.store.save_thread(
                platform,
                key,
                ThreadState(first_question=question, shown=shown, answers=0, updated_at=self.clock()),
            )
        except StoreError:
            logger.warning("%s %s: could not start following the conversation", platform, key, exc_info=True)

    def following(self, platform: str, key: str) -> ThreadState | None:
        """The conversation's state while the bot follows it; None when it never answered
        there, the follow-up cap is reached, or it has been idle too long."""
        if not self.policy.enabled:
            return None
        try:
            state = self.store.get_thread(platform, key)
        except StoreError:
            logger.warning("%s %s: could not read the conversation", platform, key, exc_info=True)
            return None
        if state is None or state.answers >= self.policy.max_answers:
            return None
        if self.clock() - state.updated_at > self.policy.idle_seconds:
            return None
        return state

    def answered(
        self, platform: str, key: str, state: ThreadState, answer: Answer, asked: Asked | None = None
    ) -> None:
        """A follow-up was answered (its reply sent): count it, remember its passages, and record
        `asked` (follow_up()'s) as an ask."""
        if asked is not None:
            self.answering.record_ask(asked, platform)
        try:
            self.store.save_thread(
                platform,
                key,
                state.model_copy(
                    update={
                        "shown": _merge(state.shown, answer),
                        "answers": state.answers + 1,
                        "updated_at": self.clock(),
                    }
                ),
            )
        except StoreError:
            logger.warning("%s %s: could not record the follow-up", platform, key, exc_info=True)

    def link(self, platform: str, message_key: str, key: str) -> None:
        """One of our answer messages belongs to `key` (a reply to it continues the conversation)."""
        try:
            self.store.link_thread_message(platform, message_key, key)
        except StoreError:
            logger.warning(
                "%s: could not link answer %s to its conversation", platform, message_key, exc_info=True
            )

    def conversation_of(self, platform: str, message_key: str) -> str | None:
        """The conversation an answer message of ours belongs to, or None."""
        try:
            return self.store.thread_of_message(platform, message_key)
        except StoreError:
            logger.warning("%s: could not look up answer %s", platform, message_key, exc_info=True)
            return None

    # -- asking ---------------------------------------------------------------------------

    def _about_something_else(self, text: str) -> bool:
        """The new text is mostly words the documents never use ("when does the cafeteria
        open?"): the thread's first question must not answer it in its place."""
        return _figures_absent_share(self.answering.engine, text) > MAX_ABSENT_SHARE

    def follow_up(
        self,
        state: ThreadState,
        text: str,
        platform: str,
        *,
        channel: str | None = None,
        user: str | None = None,
    ) -> Asked | None:
        """ask()'s answer as an ask of its own (entry "followup", a new ask id for the reply's
        buttons, `channel` and `user` counted on the insight page); None when there is nothing new.
        Pass it to answered() once the reply is sent."""
        answer = self.ask(state, text, platform)
        if answer is None:
            return None
        return Asked(
            answer.question,
            answer=answer,
            ask_id=new_ask_id(),
            platform=platform,
            entry=ENTRY,
            channel=channel,
            user=user,
        )

    def ask(self, state: ThreadState, text: str, platform: str) -> Answer | None:
        """The follow-up's answer with only passages not yet shown; None when there is nothing new."""
        text = " ".join(text.split())
        if is_chatter(text) or self._about_something_else(text):
            return None
        shown = set(state.shown)
        terms = set(tokenize(text))
        top_k = min(MAX_CANDIDATES, TOP_K + len(shown))
        for query in dict.fromkeys((combined_query(state.first_question, text), text[:QUESTION_LIMIT])):
            answer = self.answering.ask(query, platform=platform, entry=ENTRY, top_k=top_k).answer
            if answer is None:  # unreadable (too long, only markup): not a follow-up
                continue
            # Only passages about the new text: the first question alone would answer "thanks!".
            fresh = tuple(
                h for h in answer.hits if h.passage_id not in shown and terms & set(tokenize(h.text))
            )[:TOP_K]
            if answer.answered and fresh:
                return Answer(question=text, answered=True, hits=fresh)
        return None


def _figures_absent_share(engine: Engine, text: str) -> float:
    try:
        return engine.gate_figures(text)[0].absent_share
    except QuestionError:
        return 1.0


def is_chatter(text: str) -> bool:
    """True for "thanks!", "ok cool", "makes sense": nothing in it but chatter and stopwords."""
    return all(w in CHATTER or not tokenize(w) for w in words(text))


def _merge(shown: tuple[str, ...], answer: Answer | None) -> tuple[str, ...]:
    new = tuple(h.passage_id for h in answer.hits) if answer is not None else ()
    return tuple(dict.fromkeys((*shown, *new)))
