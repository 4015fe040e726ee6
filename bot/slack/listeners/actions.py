"""Buttons: 👍/👎 feedback, Share in channel, and the example questions."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answering import Answering
from bot.slack import blocks
from bot.slack.replies import answer_reply, remember_unanswered
from bot.store import StoreError, Vote, VoteRecord


def _vote_payload(value: str) -> tuple[str, tuple[str, ...], tuple[float, ...]]:
    """(question, passage ids, scores) from a vote button's value; empty when unreadable."""
    try:
        data = json.loads(value)
        return (
            str(data.get("q", "")),
            tuple(map(str, data.get("p", []))),
            tuple(float(s) for s in data.get("s", [])),
        )
    except (ValueError, TypeError, AttributeError):
        return "", (), ()


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, dict[str, Any]]:
    """(channel, message ts, message) of the clicked button's message.

    Slack leaves `message` out of the payload for ephemeral messages; the container still
    names the channel and the message ts.
    """
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel, container.get("message_ts") or message.get("ts"), message


def _only_the_voter_sees(body: dict[str, Any], channel: str | None) -> bool:
    """An ephemeral answer, or one in the person's DM with the bot (DM ids start with D)."""
    return bool((body.get("container") or {}).get("is_ephemeral")) or (channel or "").startswith("D")


def register(app: App, answering: Answering) -> None:
    store = answering.store

    def answer_blocks_for_vote(message: dict[str, Any], question: str) -> list[dict]:
        """The answer's blocks as shown: from the payload, or re-rendered when Slack left them
        out (ephemeral answers). The engine is deterministic, so this is the same answer."""
        if message.get("blocks"):
            return message["blocks"]
        return answer_reply(answering, question, entry="vote", restate=True, share=True).blocks

    @app.action(re.compile(f"^({blocks.VOTE_UP}|{blocks.VOTE_DOWN})$"))
    def vote(
        ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, logger: logging.Logger
    ) -> None:
        ack()
        vote_kind: Vote = "up" if action["action_id"] == blocks.VOTE_UP else "down"
        user = body["user"]["id"]
        channel, message_ts, message = _where(body)
        value = action.get("value", "")
        question, passage_ids, scores = _vote_payload(value)
        saved = True
        try:
            # One row per (answer message, person): a second click replaces the first.
            store.record_vote(
                VoteRecord(
                    platform="slack",
                    answer_key=f"{channel}:{message_ts}",
                    user=user,
                    vote=vote_kind,
                    question=question,
                    passage_ids=passage_ids,
                    scores=scores,
                    channel=channel,
                )
            )
        except StoreError:
            saved = False
            logger.error("vote by %s on %s:%s not saved", user, channel, message_ts, exc_info=True)

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
            answer_blocks_for_vote(message, question), vote_kind, value, saved
        )
        text = message.get("text") or "careerbot answer"
        if (body.get("container") or {}).get("is_ephemeral") or not message_ts or not channel:
            respond(replace_original=True, text=text, blocks=new_blocks)
            return
        try:
            client.chat_update(channel=channel, ts=message_ts, text=text, blocks=new_blocks)
        except SlackApiError as exc:
            logger.error(
                "could not show the vote on %s:%s: %s", channel, message_ts, exc.response.get("error")
            )

    @app.action(blocks.SHARE)
    def share(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        # Re-asked rather than copied from the payload (Slack leaves ephemeral messages out);
        # the engine is deterministic, so it is the answer the person saw.
        reply = answer_reply(answering, action.get("value", ""), entry="share", asked_by=body["user"]["id"])
        respond(response_type="in_channel", replace_original=False, text=reply.text, blocks=reply.blocks)

    @app.action(re.compile(f"^{blocks.ASK_EXAMPLE}_\\d+$"))
    def ask_example(
        ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, logger: logging.Logger
    ) -> None:
        ack()
        question = action.get("value", "")
        channel, _, message = _where(body)
        if body.get("view") or not channel:
            # From the App Home tab: answer in a DM with the person.
            reply = answer_reply(answering, question, entry="example", restate=True)
            try:
                client.chat_postMessage(channel=body["user"]["id"], text=reply.text, blocks=reply.blocks)
            except SlackApiError as exc:
                logger.error("example answer to %s failed: %s", body["user"]["id"], exc.response.get("error"))
            remember_unanswered(answering, reply)
            return
        if (body.get("container") or {}).get("is_ephemeral"):
            reply = answer_reply(answering, question, entry="example", restate=True, share=True)
            respond(replace_original=False, response_type="ephemeral", text=reply.text, blocks=reply.blocks)
            remember_unanswered(answering, reply)
            return
        reply = answer_reply(answering, question, entry="example", restate=True)
        # In a channel the answer goes to the thread of the message with the buttons; in a DM
        # it is the next message, unless the buttons were already in a thread.
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
        remember_unanswered(answering, reply)
