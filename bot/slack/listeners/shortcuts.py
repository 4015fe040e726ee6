""" "Ask careerbot" on any message (a message shortcut), and its Share in thread button.

The answer goes to the person who clicked, privately (an ephemeral reply through the
shortcut's response_url, which works in any conversation they can see). Share in thread
posts it publicly in that message's thread, once per answer and person, and from then on
the bot follows that thread (follow-ups, see events.py).
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import blocks
from bot.slack.context import answering_of, conversations_of
from bot.slack.listeners.events import thread_key, without_mentions
from bot.slack.replies import PLATFORM, answer_reply, remember_unanswered
from bot.slack.values import ThreadShareValue

NO_TEXT = "That message has no text I can read as a question (files and images aren't questions)."
NOT_IN_CHANNEL = (
    "I can't post in that conversation: invite me first (`/invite @careerbot`), "
    "then use Ask careerbot on the message again."
)
EXPIRED = "That button has expired. Please ask again."


def ask_about_message(ack: Ack, body: dict, respond: Respond, context: BoltContext) -> None:
    """The message's text, asked; the answer only for the person who clicked."""
    ack()
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or ""
    text = without_mentions(message.get("text") or "")
    if not text:
        respond(response_type="ephemeral", replace_original=False, text=blocks.escape(NO_TEXT))
        return
    answering = answering_of(context)
    reply = answer_reply(answering, text, entry="shortcut", restate=True)
    shown = reply.blocks
    thread_ts = str(message.get("thread_ts") or message.get("ts") or "")
    if reply.answer is not None and reply.answer.answered and channel and thread_ts:
        # The question as the engine read it (markup gone), and the thread of the message.
        value = ThreadShareValue(question=reply.answer.question, channel=channel, thread_ts=thread_ts)
        shown = blocks.with_share_in_thread(reply.blocks, value.encode())
    respond(response_type="ephemeral", replace_original=False, text=reply.text, blocks=shown)
    remember_unanswered(answering, reply)


def share_in_thread(
    ack: Ack,
    body: dict,
    action: dict,
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Post the answer in the asked-about message's thread (the bot must be in the channel)."""
    ack()
    target = ThreadShareValue.decode(action.get("value"))
    if target is None:
        respond(response_type="ephemeral", replace_original=False, text=EXPIRED)
        return
    answering = answering_of(context)
    user = body["user"]["id"]
    # The ephemeral answer's own ts: a double click shares once, a new Ask careerbot may share again.
    answer_ts = (body.get("container") or {}).get("message_ts") or ""
    if not answering.claim_once(f"slack:share-thread:{target.channel}:{target.thread_ts}:{answer_ts}:{user}"):
        return
    reply = answer_reply(answering, target.question, entry="share", asked_by=user)
    try:
        client.chat_postMessage(
            channel=target.channel, thread_ts=target.thread_ts, text=reply.text, blocks=reply.blocks
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        logger.warning("sharing in %s:%s failed: %s", target.channel, target.thread_ts, error)
        text = (
            NOT_IN_CHANNEL
            if error in ("not_in_channel", "channel_not_found")
            else "Sorry, I couldn't share that. Please try again."
        )
        respond(response_type="ephemeral", replace_original=False, text=blocks.escape(text))
        return
    conversations = conversations_of(context)
    if conversations is not None and reply.answer is not None and reply.answer.answered:
        key = thread_key(target.channel, target.thread_ts)
        conversations.started(PLATFORM, key, target.question, reply.answer)
    respond(response_type="ephemeral", replace_original=False, text="Shared in the thread.")


def register(app: App) -> None:
    app.shortcut(blocks.ASK_SHORTCUT)(ask_about_message)
    app.action(blocks.SHARE_IN_THREAD)(share_in_thread)
