"""@mentions in channels (answered in the thread), direct messages (answered in the DM), and
follow-ups: the next messages in a thread the bot answered in, answered without a mention
(bot.followups: the thread's state lives in our store, never in conversations.replies).
"""

from __future__ import annotations

import logging
import re

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import blocks
from bot.slack.context import answering_of, conversations_of
from bot.slack.replies import PLATFORM, Reply, answer_reply, remember_unanswered

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def event_key(body: dict, event: dict) -> str:
    """The de-duplication key: (team, channel, ts) for messages, so a mention delivered both
    as app_mention and as message counts once; the event id otherwise."""
    if event.get("type") in ("app_mention", "message") and event.get("channel") and event.get("ts"):
        return f"slack:{body.get('team_id', '')}:{event['channel']}:{event['ts']}"
    return f"slack:event:{body.get('event_id', '')}"


def thread_key(channel: str, thread_ts: str) -> str:
    """A Slack conversation the bot follows: the channel and the thread's root ts."""
    return f"{channel}:{thread_ts}"


def without_mentions(text: str) -> str:
    """The text without user mentions (<@U123>): the bot's own name is not part of a question."""
    return " ".join(_MENTION.sub(" ", text).split())


def on_mention(
    client: WebClient, body: dict, event: dict, context: BoltContext, logger: logging.Logger
) -> None:
    """A person's @mention in a channel: answered in its thread."""
    if event.get("bot_id") or event.get("subtype"):
        return
    _reply(client, body, event, context, logger, in_thread=True)


def on_message(
    client: WebClient, body: dict, event: dict, context: BoltContext, logger: logging.Logger
) -> None:
    """A person's new message in a DM with the bot, or in a channel thread the bot follows."""
    # Bots (ourselves included), edits, deletions and other subtypes get no reply.
    if event.get("subtype") or event.get("bot_id"):
        return
    bot_user = context.get("bot_user_id")
    if event.get("user") and event.get("user") == bot_user:
        return
    if event.get("channel_type") == "im":
        _reply(client, body, event, context, logger, in_thread=False)
        return
    # A channel message: only a follow-up in a thread we answered in. One that mentions us
    # is the app_mention delivery's to answer (both carry the same channel and ts).
    thread_ts = event.get("thread_ts")
    if not thread_ts or (bot_user and f"<@{bot_user}>" in (event.get("text") or "")):
        return
    conversations = conversations_of(context)
    if (
        conversations is None
        or conversations.following(PLATFORM, thread_key(event["channel"], thread_ts)) is None
    ):
        return  # not a thread we follow: nothing to claim
    if answering_of(context).claim_once(event_key(body, event)):
        follow_up(client, body, event, context, logger, addressed=False)


def post(client: WebClient, body: dict, logger: logging.Logger, **message: object) -> bool:
    """chat.postMessage; a failure after the client's retries (or cut short by a shutdown) is
    one log line with the event id and the channel, so no acknowledged answer goes silently."""
    try:
        client.chat_postMessage(**message)  # type: ignore[arg-type]
        return True
    except SlackApiError as exc:
        reason: object = exc.response.get("error") or exc.response.status_code
    except OSError as exc:  # network trouble that outlasted the retries
        reason = exc
    logger.error(
        "event %s: reply not delivered to channel %s (reply failed after retries): %s",
        body.get("event_id"),
        message.get("channel"),
        reason,
    )
    return False


def follow_up(
    client: WebClient, body: dict, event: dict, context: BoltContext, logger: logging.Logger, addressed: bool
) -> bool:
    """Answer a message in a thread we follow with what's new; True when it was handled
    (answered, or ignored because it wasn't asked of us and there is nothing new)."""
    conversations = conversations_of(context)
    thread_ts = event.get("thread_ts")
    if conversations is None or not thread_ts:
        return False
    key = thread_key(event["channel"], thread_ts)
    state = conversations.following(PLATFORM, key)
    if state is None:
        return False
    asked = conversations.follow_up(
        state,
        without_mentions(event.get("text") or ""),
        PLATFORM,
        channel=event["channel"],
        user=event.get("user"),
    )
    if asked is None or asked.answer is None:
        return not addressed  # nothing new: a mention or a DM still gets the usual reply
    answer = asked.answer
    examples = answering_of(context).engine.example_questions()
    reply = Reply(
        text=blocks.answer_text(answer),
        blocks=blocks.answer_blocks(answer, restate=True, examples=examples, ask_id=asked.ask_id),
        answer=answer,
        outcome=asked,
    )
    if post(
        client,
        body,
        logger,
        channel=event["channel"],
        text=reply.text,
        blocks=reply.blocks,
        thread_ts=thread_ts,
    ):
        conversations.answered(PLATFORM, key, state, answer, asked)
    return True


def _reply(
    client: WebClient, body: dict, event: dict, context: BoltContext, logger: logging.Logger, in_thread: bool
) -> None:
    answering = answering_of(context)
    if not answering.claim_once(event_key(body, event)):
        return
    if follow_up(client, body, event, context, logger, addressed=True):
        return
    result = answer_reply(
        answering,
        event.get("text") or "",
        entry="mention" if in_thread else "dm",
        channel=event.get("channel"),
        user=event.get("user"),
    )
    # A mention is answered in its thread (started at the mention when it has none); a DM
    # at the top of the conversation, unless the person wrote inside a thread there.
    thread_ts = event.get("thread_ts") or (event["ts"] if in_thread else None)
    kwargs = {"thread_ts": thread_ts} if thread_ts else {}
    sent = post(
        client, body, logger, channel=event["channel"], text=result.text, blocks=result.blocks, **kwargs
    )
    conversations = conversations_of(context)
    if (
        sent
        and thread_ts
        and conversations is not None
        and result.answer is not None
        and result.answer.answered
    ):
        # The bot answered in this thread: it follows it from now on.
        key = thread_key(event["channel"], thread_ts)
        conversations.started(PLATFORM, key, without_mentions(event.get("text") or ""), result.answer)
    remember_unanswered(answering, result)


def register(app: App) -> None:
    app.event("app_mention")(on_mention)
    app.event("message")(on_message)
