"""Resolution: "That answers it", the optional 👎 reason (a modal), "Ask a person" and "Mark resolved".

"Ask a person" posts in the answer's thread a message that mentions the configured helpers
(bot.helpers: CAREERBOT_HELPERS or the channel's override), built only from their ids, with
the question restated and a "Mark resolved" button that the asker or any helper may press.
Without helpers the message says whom to ask instead. One hand-off per answer: a second
press says it was done. A helper is a configured user, or a member of a configured user
group (usergroups.users.list; the app needs the usergroups:read scope).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.helpers import NO_HELPERS_TEXT
from bot.slack import blocks
from bot.slack.context import answering_of, store_of
from bot.slack.values import VoteValue
from bot.store import DOWN_REASONS, Handoff, StoreError, new_ask_id

PLATFORM = "slack"


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(channel, message ts, thread ts) of the clicked button's message."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or message.get("ts")
    return channel, ts, message.get("thread_ts")


def open_reason_modal(client: WebClient, trigger_id: str, answer_key: str, logger: logging.Logger) -> None:
    """The optional 👎 reason; the vote is stored whether or not the person answers it."""
    metadata = json.dumps({"k": answer_key})
    try:
        client.views_open(trigger_id=trigger_id, view=blocks.reason_view(metadata))
    except SlackApiError as exc:
        logger.warning("could not open the 👎 reason: %s", exc.response.get("error"))
    except OSError as exc:
        logger.warning("could not open the 👎 reason: %s", exc)


def answered(
    ack: Ack, body: dict, action: dict, respond: Respond, context: BoltContext, logger: logging.Logger
) -> None:
    """ "That answers it": the ask is marked resolved by this person (once)."""
    ack()
    ask_id = VoteValue.decode(action.get("value") or "").ask_id
    user = body["user"]["id"]
    saved = True
    if ask_id:
        try:
            store_of(context).mark_answered(ask_id, user)
        except StoreError:
            saved = False
            logger.error("'that answers it' by %s not saved", user, exc_info=True)
    text = blocks.ANSWERED_NOTICE if saved else blocks.ANSWERED_NOT_SAVED
    respond(response_type="ephemeral", replace_original=False, text=text)


def reason(ack: Ack, body: dict, view: dict, context: BoltContext, logger: logging.Logger) -> None:
    """The 👎 reason modal's submission: stored with that 👎 (nothing chosen: the 👎 alone)."""
    ack()  # closes the modal; nothing here can fail in a way the person could fix
    try:
        answer_key = str(json.loads(view.get("private_metadata") or "{}").get("k") or "")
    except (ValueError, AttributeError):
        return
    values = (view.get("state") or {}).get("values") or {}
    choice = ((values.get(blocks.REASON_BLOCK) or {}).get(blocks.REASON_CHOICE) or {}).get("selected_option")
    key = (choice or {}).get("value")
    text = ((values.get(blocks.REASON_TEXT_BLOCK) or {}).get(blocks.REASON_TEXT) or {}).get("value") or ""
    if key not in DOWN_REASONS:
        if not text.strip():
            return  # skipped: the 👎 alone is stored
        key = "other"
    user = body["user"]["id"]
    try:
        if not store_of(context).set_vote_reason(PLATFORM, answer_key, user, key, text):
            logger.info("👎 reason from %s for %s: no 👎 stored (changed since?)", user, answer_key)
    except StoreError:
        logger.error("👎 reason from %s not saved", user, exc_info=True)


def handoff(
    ack: Ack,
    body: dict,
    action: dict,
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """ "Ask a person": the helpers mentioned in the answer's thread, once per answer."""
    ack()
    answering = answering_of(context)
    store = answering.store
    shown = VoteValue.decode(action.get("value") or "")
    asker = body["user"]["id"]
    channel, message_ts, thread_ts = _where(body)
    question = shown.question
    if not channel:
        respond(response_type="ephemeral", replace_original=False, text=blocks.HANDOFF_NOT_SAVED)
        return
    helpers = answering.helpers_for(PLATFORM, channel)
    handoff_id = new_ask_id()
    try:
        stored = store.open_handoff(
            Handoff(
                handoff_id=handoff_id,
                platform=PLATFORM,
                ask_id=shown.ask_id,
                channel=channel,
                question=question,
                asker=asker,
                helpers=helpers.ids(PLATFORM),
            )
        )
    except StoreError:
        logger.error("hand-off by %s not saved", asker, exc_info=True)
        respond(response_type="ephemeral", replace_original=False, text=blocks.HANDOFF_NOT_SAVED)
        return
    if stored.handoff_id != handoff_id:  # pressed again, or by someone else: one hand-off per answer
        respond(response_type="ephemeral", replace_original=False, text=blocks.HANDOFF_ALREADY)
        return
    mentions = helpers.slack_mentions()
    # In the answer's thread (a channel message's own thread when it has none); an
    # ephemeral answer has no message to thread on, so the hand-off starts one.
    is_ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
    thread = thread_ts or (None if is_ephemeral or channel.startswith("D") else message_ts)
    try:
        client.chat_postMessage(
            channel=channel,
            text=blocks.handoff_text(mentions, question, NO_HELPERS_TEXT),
            blocks=blocks.handoff_blocks(mentions, asker, question, stored.handoff_id, NO_HELPERS_TEXT),
            thread_ts=thread,
        )
    except SlackApiError as exc:
        logger.error("hand-off in %s failed: %s", channel, exc.response.get("error"))
        respond(response_type="ephemeral", replace_original=False, text=blocks.HANDOFF_NOT_SAVED)
        return
    notice = blocks.HANDOFF_POSTED if mentions else blocks.HANDOFF_NOBODY_POSTED
    respond(response_type="ephemeral", replace_original=False, text=notice)


def _is_helper(client: WebClient, user: str, stored: Handoff, logger: logging.Logger) -> bool:
    if user == stored.asker or f"user:{user}" in stored.helpers:
        return True
    for entry in stored.helpers:
        if not entry.startswith("group:"):
            continue
        try:
            members = client.usergroups_users_list(usergroup=entry[len("group:") :]).get("users") or []
        except SlackApiError as exc:
            logger.warning("could not read user group %s: %s", entry, exc.response.get("error"))
            continue
        if user in members:
            return True
    return False


def resolve(
    ack: Ack,
    body: dict,
    action: dict,
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    logger: logging.Logger,
) -> None:
    """ "Mark resolved" on a hand-off: the asker or a helper; the message then says who."""
    ack()
    store = store_of(context)
    user = body["user"]["id"]
    handoff_id = str(action.get("value") or "")
    try:
        stored = store.get_handoff(handoff_id)
    except StoreError:
        logger.error("hand-off %s could not be read", handoff_id, exc_info=True)
        stored = None
    if stored is None or stored.resolved:
        respond(response_type="ephemeral", replace_original=False, text=blocks.RESOLVE_GONE)
        return
    if not _is_helper(client, user, stored, logger):
        respond(response_type="ephemeral", replace_original=False, text=blocks.RESOLVE_REFUSED)
        return
    try:
        won = store.resolve_handoff(handoff_id, user)
    except StoreError:
        logger.error("hand-off %s: resolution not saved", handoff_id, exc_info=True)
        respond(response_type="ephemeral", replace_original=False, text=blocks.ANSWERED_NOT_SAVED)
        return
    if not won:
        respond(response_type="ephemeral", replace_original=False, text=blocks.RESOLVE_GONE)
        return
    channel, message_ts, _ = _where(body)
    message = body.get("message") or {}
    new_blocks = blocks.resolved_blocks(message.get("blocks") or [], user)
    try:
        client.chat_update(
            channel=channel or "",
            ts=message_ts or "",
            text=message.get("text") or "Resolved",
            blocks=new_blocks,
        )
    except SlackApiError as exc:
        logger.error("could not show the resolution in %s: %s", channel, exc.response.get("error"))


def register(app: App) -> None:
    app.action(blocks.RESOLVED)(answered)
    app.view(blocks.DOWN_REASON_VIEW)(reason)
    app.action(blocks.HANDOFF)(handoff)
    app.action(blocks.HANDOFF_RESOLVE)(resolve)
