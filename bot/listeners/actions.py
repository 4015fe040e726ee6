"""Buttons: 👍/👎 feedback, Share in channel, and the example questions."""

from __future__ import annotations

import json
import logging
import re

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.listeners.replies import answer_reply
from bot.store import Store, StoreError, VoteRecord
from retrieval import Engine


def _vote_payload(value: str) -> tuple[str, tuple[str, ...], tuple[float, ...]]:
    try:
        data = json.loads(value)
        return (
            str(data.get("q", "")),
            tuple(map(str, data.get("p", []))),
            tuple(float(s) for s in data.get("s", [])),
        )
    except (ValueError, TypeError, AttributeError):
        return "", (), ()


def register(app: App, engine: Engine, store: Store) -> None:
    @app.action(re.compile(f"^({blocks.VOTE_UP}|{blocks.VOTE_DOWN})$"))
    def vote(
        ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, logger: logging.Logger
    ) -> None:
        ack()
        vote_kind = "up" if action["action_id"] == blocks.VOTE_UP else "down"
        container = body.get("container", {})
        channel = container.get("channel_id") or body.get("channel", {}).get("id")
        message_ts = container.get("message_ts") or body.get("message", {}).get("ts")
        question, passage_ids, scores = _vote_payload(action.get("value", ""))
        saved = True
        try:
            store.record_vote(
                VoteRecord(
                    platform="slack",
                    answer_key=f"{channel}:{message_ts}",
                    user=body["user"]["id"],
                    vote=vote_kind,
                    question=question,
                    passage_ids=passage_ids,
                    scores=scores,
                    channel=channel,
                )
            )
        except StoreError:
            saved = False
            logger.error(
                "vote by %s on %s:%s not saved", body["user"]["id"], channel, message_ts, exc_info=True
            )
        new_blocks = blocks.replace_feedback(
            body.get("message", {}).get("blocks", []), vote_kind, action["value"], saved
        )
        text = body.get("message", {}).get("text") or "careerbot answer"
        if container.get("is_ephemeral") or not message_ts:
            respond(replace_original=True, text=text, blocks=new_blocks)
        else:
            try:
                client.chat_update(channel=channel, ts=message_ts, text=text, blocks=new_blocks)
            except SlackApiError as exc:
                logger.error(
                    "could not show the vote on %s:%s: %s", channel, message_ts, exc.response.get("error")
                )

    @app.action(blocks.SHARE)
    def share(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        reply = answer_reply(engine, store, action.get("value", ""), asked_by=body["user"]["id"])
        respond(response_type="in_channel", replace_original=False, text=reply.text, blocks=reply.blocks)

    @app.action(re.compile(f"^{blocks.ASK_EXAMPLE}_\\d+$"))
    def ask_example(
        ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond, logger: logging.Logger
    ) -> None:
        ack()
        container = body.get("container", {})
        channel = container.get("channel_id") or body.get("channel", {}).get("id")
        if body.get("view") or not channel:
            # From the App Home tab: answer in a DM with the person.
            reply = answer_reply(engine, store, action.get("value", ""), restate=True)
            client.chat_postMessage(channel=body["user"]["id"], text=reply.text, blocks=reply.blocks)
            return
        if container.get("is_ephemeral"):
            reply = answer_reply(engine, store, action.get("value", ""), restate=True, share=True)
            respond(replace_original=False, response_type="ephemeral", text=reply.text, blocks=reply.blocks)
            return
        reply = answer_reply(engine, store, action.get("value", ""), restate=True)
        message = body.get("message", {})
        try:
            client.chat_postMessage(
                channel=channel,
                thread_ts=message.get("thread_ts") or message.get("ts"),
                text=reply.text,
                blocks=reply.blocks,
            )
        except SlackApiError as exc:
            logger.error("example answer failed in %s: %s", channel, exc.response.get("error"))
