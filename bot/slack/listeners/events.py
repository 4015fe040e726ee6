"""@mentions in channels (answered in the thread) and direct messages (answered in the DM)."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.context import answering_of
from bot.slack.replies import answer_reply, remember_unanswered


def event_key(body: dict, event: dict) -> str:
    """The de-duplication key: (team, channel, ts) for messages, so a mention delivered both
    as app_mention and as message counts once; the event id otherwise."""
    if event.get("type") in ("app_mention", "message") and event.get("channel") and event.get("ts"):
        return f"slack:{body.get('team_id', '')}:{event['channel']}:{event['ts']}"
    return f"slack:event:{body.get('event_id', '')}"


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
    """A person's new message in a DM with the bot."""
    # Bots (ourselves included), edits, deletions and other subtypes get no reply. Mentions
    # in channels come as app_mention.
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return
    if event.get("user") and event.get("user") == context.get("bot_user_id"):
        return
    _reply(client, body, event, context, logger, in_thread=False)


def _reply(
    client: WebClient, body: dict, event: dict, context: BoltContext, logger: logging.Logger, in_thread: bool
) -> None:
    answering = answering_of(context)
    if not answering.claim_once(event_key(body, event)):
        return
    result = answer_reply(answering, event.get("text") or "", entry="mention" if in_thread else "dm")
    # A mention is answered in its thread (started at the mention when it has none); a DM
    # at the top of the conversation, unless the person wrote inside a thread there.
    thread_ts = event.get("thread_ts") or (event["ts"] if in_thread else None)
    kwargs = {"thread_ts": thread_ts} if thread_ts else {}
    try:
        client.chat_postMessage(channel=event["channel"], text=result.text, blocks=result.blocks, **kwargs)
    except SlackApiError as exc:
        logger.error(
            "event %s: reply failed after retries: %s", body.get("event_id"), exc.response.get("error")
        )
    except OSError as exc:  # network trouble that outlasted the retries
        logger.error("event %s: reply failed after retries: %s", body.get("event_id"), exc)
    remember_unanswered(answering, result)


def register(app: App) -> None:
    app.event("app_mention")(on_mention)
    app.event("message")(on_message)
