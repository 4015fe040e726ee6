"""Buttons: 👍/👎 feedback (a 👎 opens the optional reason, see resolution.py), Share in channel, and the
example questions."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering import Answering
from bot.slack import blocks
from bot.slack.context import answering_of, store_of
from bot.slack.listeners.resolution import open_reason_modal
from bot.slack.replies import Reply, answer_reply, remember_unanswered
from bot.slack.values import QuestionValue, VoteValue
from bot.store import StoreError, Vote, VoteRecord

VOTE_ACTIONS = re.compile(f"^({blocks.VOTE_UP}|{blocks.VOTE_DOWN})$")
EXAMPLE_ACTIONS = re.compile(f"^{blocks.ASK_EXAMPLE}_\\d+$")


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, dict[str, Any]]:
    """(channel, message ts, message) of the clicked button's message.

    Slack leaves `message` out of the payload for ephemeral messages; the container still
    names the channel and the message ts.
    """
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel, container.get("message_ts") or message.get("ts"), message


def _is_ephemeral(body: dict[str, Any]) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def _only_the_voter_sees(body: dict[str, Any], channel: str | None) -> bool:
    """An ephemeral answer, or one in the person's DM with the bot (DM ids start with D)."""
    return _is_ephemeral(body) or (channel or "").startswith("D")


# -- 👍 / 👎 ---------------------------------------------------------------------------------


def click_time(action: dict[str, Any]) -> datetime | None:
    """When the button was clicked (Slack's action_ts); None (arrival time) when unreadable."""
    try:
        seconds = float(str(action.get("action_ts") or ""))
        return datetime.fromtimestamp(seconds, UTC) if 0 < seconds < 1e11 else None
    except (ValueError, OverflowError, OSError):
        return None


def errors_logged(listener: Callable[..., None]) -> Callable[..., None]:
    """Log a listener's unexpected error here instead of raising it into Bolt.

    Bolt's thread runner, on an error after ack(), resets the acknowledgement it may not have
    sent yet: a fast failure right after a button's ack turned the 200 into a 404 three seconds
    later. Catching it keeps the ack; the error is still logged with its traceback.
    """

    @functools.wraps(listener)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            listener(*args, **kwargs)
        except Exception:
            body = kwargs.get("body") or {}
            logging.getLogger("careerbot.slack").exception(
                "%s failed (trigger %s)",
                listener.__name__,
                body.get("trigger_id") if isinstance(body, dict) else None,
            )

    return guarded


def vote(
    ack: Ack,
    body: dict,
    action: dict,
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Record the vote (one per person and answer message; a second click replaces it) and show it."""
    ack()
    vote_kind: Vote = "up" if action["action_id"] == blocks.VOTE_UP else "down"
    channel, message_ts, message = _where(body)
    value = action.get("value", "")
    shown = VoteValue.decode(value)
    if vote_kind == "down" and body.get("trigger_id"):
        # First, while the trigger is fresh (3 s): the optional reason, stored with this 👎.
        open_reason_modal(client, body["trigger_id"], f"{channel}:{message_ts}", logger)
    saved = _record_vote(
        context, body["user"]["id"], vote_kind, shown, channel, message_ts, logger, click_time(action)
    )
    if not _only_the_voter_sees(body, channel):
        # An answer other people see: replacing its buttons would show one person's vote
        # to everyone and take the buttons from the others, so the voter is told privately.
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=blocks.escape(blocks.vote_notice(vote_kind, saved)),
        )
        return
    new_blocks = blocks.replace_feedback(
        _answer_blocks_as_shown(answering_of(context), message, shown.question, shown.ask_id),
        vote_kind,
        value,
        saved,
    )
    text = message.get("text") or "careerbot answer"
    if _is_ephemeral(body) or not message_ts or not channel:
        respond(replace_original=True, text=text, blocks=new_blocks)
        return
    try:
        client.chat_update(channel=channel, ts=message_ts, text=text, blocks=new_blocks)
    except SlackApiError as exc:
        logger.error("could not show the vote on %s:%s: %s", channel, message_ts, exc.response.get("error"))


def _record_vote(
    context: BoltContext,
    user: str,
    vote_kind: Vote,
    shown: VoteValue,
    channel: str | None,
    message_ts: str | None,
    logger: logging.Logger,
    clicked: datetime | None = None,
) -> bool:
    """Save the vote at its click time; False (logged) when the store is unavailable."""
    try:
        store_of(context).record_vote(
            VoteRecord(
                platform="slack",
                answer_key=f"{channel}:{message_ts}",
                user=user,
                vote=vote_kind,
                question=shown.question,
                passage_ids=shown.passage_ids,
                scores=shown.scores,
                channel=channel,
                ask_id=shown.ask_id,
            ),
            now=clicked,
        )
    except StoreError:
        logger.error("vote by %s on %s:%s not saved", user, channel, message_ts, exc_info=True)
        return False
    return True


def _answer_blocks_as_shown(
    answering: Answering, message: dict[str, Any], question: str, ask_id: str | None = None
) -> list[dict]:
    """The answer's blocks as shown: from the payload, or re-rendered when Slack left them
    out (ephemeral answers). The engine is deterministic, so this is the same answer (and it
    keeps its ask id)."""
    if message.get("blocks"):
        return message["blocks"]
    return answer_reply(answering, question, entry="vote", restate=True, share=True, ask_id=ask_id).blocks


# -- Share in channel ------------------------------------------------------------------------


def share(ack: Ack, body: dict, action: dict, respond: Respond, context: BoltContext) -> None:
    """Post the answer in the channel for everyone, saying who asked."""
    ack()
    # Re-asked rather than copied from the payload (Slack leaves ephemeral messages out);
    # the engine is deterministic, so it is the answer the person saw.
    question = QuestionValue.decode(action.get("value")).question
    reply = answer_reply(answering_of(context), question, entry="share", asked_by=body["user"]["id"])
    respond(response_type="in_channel", replace_original=False, text=reply.text, blocks=reply.blocks)


# -- example questions -----------------------------------------------------------------------


def ask_example(
    ack: Ack,
    body: dict,
    action: dict,
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """Answer an example question where its button was: DM (Home tab), privately, or in the thread."""
    ack()
    answering = answering_of(context)
    question = QuestionValue.decode(action.get("value")).question
    channel, _, message = _where(body)
    if body.get("view") or not channel:
        reply = _example_from_home(answering, client, body["user"]["id"], question, logger)
    elif _is_ephemeral(body):
        reply = answer_reply(answering, question, entry="example", restate=True, share=True)
        respond(replace_original=False, response_type="ephemeral", text=reply.text, blocks=reply.blocks)
    else:
        reply = _example_in_conversation(answering, client, channel, message, question, logger)
    remember_unanswered(answering, reply)


def _example_from_home(
    answering: Answering, client: WebClient, user: str, question: str, logger: logging.Logger
) -> Reply:
    """From the App Home tab: answer in a DM with the person."""
    reply = answer_reply(answering, question, entry="example", restate=True)
    try:
        client.chat_postMessage(channel=user, text=reply.text, blocks=reply.blocks)
    except SlackApiError as exc:
        logger.error("example answer to %s failed: %s", user, exc.response.get("error"))
    return reply


def _example_in_conversation(
    answering: Answering,
    client: WebClient,
    channel: str,
    message: dict[str, Any],
    question: str,
    logger: logging.Logger,
) -> Reply:
    """In a channel the answer goes to the thread of the message with the buttons; in a DM
    it is the next message, unless the buttons were already in a thread."""
    reply = answer_reply(answering, question, entry="example", restate=True)
    thread_ts = message.get("thread_ts") or (None if channel.startswith("D") else message.get("ts"))
    try:
        client.chat_postMessage(
            channel=channel,
            text=reply.text,
            blocks=reply.blocks,
            **({"thread_ts": thread_ts} if thread_ts else {}),
        )
    except SlackApiError as exc:
        logger.error("example answer failed in %s: %s", channel, exc.response.get("error"))
    return reply


def register(app: App) -> None:
    app.action(VOTE_ACTIONS)(errors_logged(vote))
    app.action(blocks.SHARE)(errors_logged(share))
    app.action(EXAMPLE_ACTIONS)(errors_logged(ask_example))
