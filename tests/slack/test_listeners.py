"""Slack listeners as bolt-python's own tests drive them: called with Mock(Ack)/Mock(WebClient)
and a context filled like the middleware fills it, and dispatched through App.dispatch()."""

from __future__ import annotations

import json
from unittest.mock import Mock

import pytest
from slack_bolt import Ack, BoltContext, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bench.mock_slack import MockSlack
from bench.slack_signing import command_body, event_body, signed_headers
from bot.answering import Answering
from bot.settings import Settings
from bot.slack import blocks
from bot.slack.app import create_app
from bot.slack.context import fill
from bot.slack.listeners import actions, commands, events, home
from bot.slack.listeners.home import Onboarding
from bot.slack.values import VoteValue
from bot.store.sqlite import SQLiteStore
from retrieval import Engine

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def context(settings: Settings, engine: Engine, store: SQLiteStore) -> BoltContext:
    return fill(BoltContext({"bot_user_id": "UBOT"}), Answering(engine, store), Onboarding(settings, engine))


def acked(ack: Mock) -> dict:
    ack.assert_called_once()
    return ack.call_args.kwargs


def test_career_answers_in_the_ack(context: BoltContext) -> None:
    ack = Mock(Ack)
    commands.career(ack=ack, command={"text": "What is a feature store?"}, context=context)
    reply = acked(ack)
    assert reply["response_type"] == "ephemeral" and "feature store" in json.dumps(reply["blocks"]).lower()
    assert any(b.get("block_id") == blocks.FEEDBACK_BLOCK for b in reply["blocks"])


def test_career_without_a_question_and_mle_vs_swe_overview(context: BoltContext, engine: Engine) -> None:
    ack = Mock(Ack)
    commands.career(ack=ack, command={"text": "  "}, context=context)
    assert acked(ack)["text"] == commands.CAREER_USAGE
    ack = Mock(Ack)
    commands.mle_vs_swe(ack=ack, command={}, context=context)
    assert acked(ack)["text"] == blocks.overview_text(engine.overview())
    ack = Mock(Ack)
    commands.mle_vs_swe(ack=ack, command={"text": "help"}, context=context)
    assert acked(ack)["text"] == blocks.COMMANDS_HELP


def test_a_mention_is_answered_once_in_its_thread(context: BoltContext, store: SQLiteStore) -> None:
    client = Mock(WebClient)
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> what is MLOps?",
        "ts": "5.0",
        "channel": "C1",
    }
    body = {"team_id": "T1", "event_id": "Ev1", "event": event}
    for _ in range(2):  # a retry of the same event
        events.on_mention(client=client, body=body, event=event, context=context, logger=Mock())
    client.chat_postMessage.assert_called_once()
    sent = client.chat_postMessage.call_args.kwargs
    assert sent["channel"] == "C1" and sent["thread_ts"] == "5.0" and "MLOps" in json.dumps(sent["blocks"])


def test_our_own_and_non_dm_messages_get_no_reply(context: BoltContext) -> None:
    client = Mock(WebClient)
    for event in (
        {"type": "message", "channel_type": "im", "user": "UBOT", "text": "hi", "ts": "1.0", "channel": "D1"},
        {
            "type": "message",
            "channel_type": "channel",
            "user": "U1",
            "text": "hi",
            "ts": "1.0",
            "channel": "C1",
        },
        {"type": "message", "channel_type": "im", "subtype": "message_changed", "ts": "1.0", "channel": "D1"},
    ):
        events.on_message(client=client, body={"event": event}, event=event, context=context, logger=Mock())
    client.chat_postMessage.assert_not_called()


def test_a_failed_welcome_is_released_for_the_next_join(context: BoltContext) -> None:
    failing = Mock(WebClient)
    error = SlackApiError(
        "boom",
        SlackResponse(
            client=None,
            http_verb="POST",
            api_url="",
            req_args={},
            data={"ok": False, "error": "fatal_error"},
            headers={},
            status_code=200,
        ),
    )  # type: ignore[arg-type]
    failing.chat_postMessage.side_effect = error
    join = {"type": "member_joined_channel", "user": "U9", "channel": "CONBOARD"}
    home.on_join(client=failing, event=join, context=context, logger=Mock())
    client = Mock(WebClient)
    home.on_join(client=client, event=join, context=context, logger=Mock())
    home.on_join(client=client, event=join, context=context, logger=Mock())  # welcomed once only
    client.chat_postMessage.assert_called_once()
    assert client.chat_postMessage.call_args.kwargs["channel"] == "U9"
    other = Mock(WebClient)
    other.conversations_info.return_value = {"channel": {"name": "random"}}
    home.on_join(
        client=other, event={**join, "user": "U8", "channel": "CRANDOM"}, context=context, logger=Mock()
    )
    other.chat_postMessage.assert_not_called()


def test_a_vote_in_a_dm_is_saved_and_shown_in_place(context: BoltContext, store: SQLiteStore) -> None:
    value = VoteValue(question="What is a feature store?", passage_ids=("d#1",), scores=(3.5,)).encode()
    body = {
        "user": {"id": "U1"},
        "container": {"channel_id": "D1", "message_ts": "7.0"},
        "message": {"ts": "7.0", "text": "a", "blocks": []},
    }
    action = {"action_id": blocks.VOTE_UP, "value": value}
    client, respond = Mock(WebClient), Mock(Respond)
    actions.vote(
        ack=Mock(Ack),
        body=body,
        action=action,
        client=client,
        respond=respond,
        context=context,
        logger=Mock(),
    )
    assert store.feedback_totals().up == 1
    client.chat_update.assert_called_once()
    respond.assert_not_called()


def test_dispatch_runs_the_middleware_and_the_listener(
    settings: Settings, engine: Engine, store: SQLiteStore, slack: MockSlack
) -> None:
    app = create_app(
        settings,
        engine,
        store,
        client=WebClient(token="xoxb-test-token", base_url=slack.api_url),
        process_before_response=True,
        token_verification_enabled=False,
    )
    body = command_body("/career", "What does an ML engineer do?", slack.response_url("cmd"))
    response = app.dispatch(BoltRequest(body=body, headers=signed_headers(body, content_type=FORM)))
    assert response.status == 200
    reply = json.loads(response.body)
    assert reply["response_type"] == "ephemeral" and reply["blocks"]
    mention = event_body(
        {"type": "app_mention", "user": "U1", "text": "<@UBOT> what is MLOps?", "ts": "9.0", "channel": "C1"}
    )
    assert app.dispatch(BoltRequest(body=mention, headers=signed_headers(mention))).status == 200
    [call] = slack.calls_to("chat.postMessage")  # process_before_response: already sent
    assert call.body["thread_ts"] == "9.0"
