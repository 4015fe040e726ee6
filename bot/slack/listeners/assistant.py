"""Slack's agent pane in the older assistant_view (Bolt's Assistant class).

agent_view, the current experience, needs nothing here: opening the Messages tab is an
app_home_opened with tab == "messages" (home.py sets the suggested prompts) and questions
are DMs (events.py). Under assistant_view a person opens an assistant thread:
- assistant_thread_started: a greeting and up to four suggested prompts (the example questions);
- assistant_thread_context_changed: the channel they are looking at, saved in our store
  (Bolt's default handler, through our thread context store);
- a message in the thread: answered there like any DM (later questions in the thread are
  follow-ups: asked with its first one, passages already shown not repeated), and the thread
  titled after its first question.
Thread context lives in our store (SQLite/PostgreSQL), never read back with
conversations.replies (Tier-1 rate limits for new non-Marketplace apps).
"""

from __future__ import annotations

import logging

from slack_bolt import App, Assistant, BoltContext, Say, SetSuggestedPrompts, SetTitle
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_sdk.errors import SlackApiError

from bot.slack import blocks
from bot.slack.context import answering_of, conversations_of, onboarding_of
from bot.slack.listeners.events import event_key, thread_key, without_mentions
from bot.slack.replies import PLATFORM, Reply, answer_reply, remember_unanswered
from bot.store import Store, StoreError
from bot.text import truncate

logger = logging.getLogger(__name__)

GREETING = (
    "Hi! I answer questions about machine learning engineers and software engineers by quoting "
    "a few good articles, with their sources. Ask me anything, or pick a question below."
)
TITLE_LIMIT = 100


class StoreThreadContexts(AssistantThreadContextStore):
    """Bolt's thread context store over ours: a failing database costs the context, not the answer."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        try:
            self.store.save_assistant_context(channel_id, thread_ts, dict(context))
        except StoreError:
            logger.warning(
                "could not save the assistant thread context of %s:%s", channel_id, thread_ts, exc_info=True
            )

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        try:
            saved = self.store.get_assistant_context(channel_id, thread_ts)
        except StoreError:
            logger.warning(
                "could not read the assistant thread context of %s:%s", channel_id, thread_ts, exc_info=True
            )
            return None
        return AssistantThreadContext(saved) if saved else None


def thread_started(
    body: dict,
    event: dict,
    say: Say,
    set_suggested_prompts: SetSuggestedPrompts,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """A person opened an assistant thread: greet them and offer the example questions."""
    if not answering_of(context).claim_once(f"slack:event:{body.get('event_id', '')}"):
        return  # a retried delivery: greeted already
    thread = event.get("assistant_thread") or {}
    if thread.get("context") and thread.get("channel_id") and thread.get("thread_ts"):
        StoreThreadContexts(answering_of(context).store).save(
            channel_id=thread["channel_id"], thread_ts=thread["thread_ts"], context=thread["context"]
        )
    try:
        say(text=blocks.escape(GREETING))
        set_suggested_prompts(prompts=onboarding_of(context).prompts, title=blocks.PROMPTS_TITLE)
    except SlackApiError as exc:
        logger.error(
            "event %s: greeting the assistant thread failed: %s",
            body.get("event_id"),
            exc.response.get("error"),
        )


def user_message(
    body: dict, event: dict, say: Say, set_title: SetTitle, context: BoltContext, logger: logging.Logger
) -> None:
    """A question in an assistant thread: a follow-up when the thread has an answer, else asked."""
    answering = answering_of(context)
    if not answering.claim_once(event_key(body, event)):
        return
    conversations = conversations_of(context)
    text = without_mentions(event.get("text") or "")
    key = thread_key(event["channel"], event["thread_ts"])
    state = conversations.following(PLATFORM, key) if conversations is not None else None
    if conversations is not None and state is not None:
        answer = conversations.ask(state, text, PLATFORM)
        if answer is not None:
            examples = answering.engine.example_questions()
            reply = Reply(
                text=blocks.answer_text(answer),
                blocks=blocks.answer_blocks(answer, restate=True, examples=examples),
                answer=answer,
            )
            if _say(say, reply, body, logger):
                conversations.answered(PLATFORM, key, state, answer)
            return
    result = answer_reply(answering, text, entry="assistant")
    if state is None:
        # The thread is named after its first question, as the engine read it (markup gone).
        title = result.answer.question if result.answer is not None else text
        try:
            set_title(blocks.escape(truncate(title, TITLE_LIMIT)) or "Question")
        except SlackApiError as exc:
            logger.warning(
                "event %s: setting the thread title failed: %s",
                body.get("event_id"),
                exc.response.get("error"),
            )
    if (
        _say(say, result, body, logger)
        and conversations is not None
        and result.answer
        and result.answer.answered
    ):
        conversations.started(PLATFORM, key, text, result.answer)
    remember_unanswered(answering, result)


def _say(say: Say, reply: Reply, body: dict, logger: logging.Logger) -> bool:
    try:
        say(text=reply.text, blocks=reply.blocks)
        return True
    except SlackApiError as exc:
        reason: object = exc.response.get("error")
    except OSError as exc:
        reason = exc
    logger.error(
        "event %s: reply not delivered to channel %s (reply failed after retries): %s",
        body.get("event_id"),
        (body.get("event") or {}).get("channel"),
        reason,
    )
    return False


def register(app: App, store: Store) -> None:
    """The Assistant middleware, its thread context kept in `store`."""
    assistant = Assistant(thread_context_store=StoreThreadContexts(store))
    assistant.thread_started(thread_started)
    assistant.user_message(user_message)
    app.use(assistant)
