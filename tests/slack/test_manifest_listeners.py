"""Every event, shortcut and command in manifest.json reaches a listener of the real app.

Bolt answers 404 to a request no listener matches, so posting one signed request per
manifest entry checks the manifest against the listeners, not against a copy of the list.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from bench.mock_slack import MockSlack
from bench.slack_signing import command_body, signed_headers
from bot.slack import blocks
from tests.support.http import Server
from tests.support.slack_requests import FORM, post_event

MANIFEST = json.loads((Path(__file__).resolve().parents[2] / "manifest.json").read_text())
THREAD = {"channel_id": "D111", "thread_ts": "1.0", "user_id": "U111", "context": {"channel_id": "C1"}}

# A minimal, documented-shape event for each subscription.
EVENTS = {
    "app_home_opened": {"type": "app_home_opened", "user": "U111", "channel": "D111", "tab": "home"},
    "app_mention": {
        "type": "app_mention",
        "user": "U111",
        "text": "<@UBOT> hi",
        "ts": "2.0",
        "channel": "C1",
    },
    "member_joined_channel": {"type": "member_joined_channel", "user": "U111", "channel": "C9"},
    "message.im": {
        "type": "message",
        "channel_type": "im",
        "user": "U111",
        "text": "hi",
        "ts": "3.0",
        "channel": "D1",
    },
    "message.channels": {
        "type": "message",
        "channel_type": "channel",
        "user": "U111",
        "text": "hi",
        "ts": "4.0",
        "thread_ts": "1.5",
        "channel": "C1",
    },
    "message.groups": {
        "type": "message",
        "channel_type": "group",
        "user": "U111",
        "text": "hi",
        "ts": "5.0",
        "thread_ts": "1.5",
        "channel": "G1",
    },
    "assistant_thread_started": {
        "type": "assistant_thread_started",
        "assistant_thread": THREAD,
        "event_ts": "6.0",
    },
    "assistant_thread_context_changed": {
        "type": "assistant_thread_context_changed",
        "assistant_thread": THREAD,
        "event_ts": "7.0",
    },
}


def test_the_manifest_declares_the_agent_pane_shortcut_and_scopes() -> None:
    features = MANIFEST["features"]
    assert features["agent_view"]["agent_description"]
    assert features["app_home"]["home_tab_enabled"] and features["app_home"]["messages_tab_enabled"]
    [shortcut] = features["shortcuts"]
    assert shortcut == {
        "name": "Ask careerbot",
        "type": "message",
        "callback_id": blocks.ASK_SHORTCUT,
        "description": shortcut["description"],
    }
    assert 1 <= len(shortcut["description"]) <= 80 and len(shortcut["name"]) <= 24
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    # assistant:write for prompts and titles; *:history to receive thread follow-ups.
    assert {
        "assistant:write",
        "channels:history",
        "groups:history",
        "im:history",
        "chat:write",
        "commands",
    } <= scopes
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == set(EVENTS)


@pytest.mark.parametrize("subscription", sorted(EVENTS))
def test_every_subscribed_event_has_a_listener(server: Server, subscription: str) -> None:
    assert subscription in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    response = post_event(server, EVENTS[subscription], event_id=f"Ev-{subscription}")
    assert response.status == 200, f"{subscription}: no listener (Bolt answered {response.status})"


def test_an_event_without_a_listener_is_a_404(server: Server) -> None:
    """The check above can fail: an event nobody listens to is refused."""
    reaction = {"type": "reaction_added", "user": "U111", "reaction": "eyes", "item": {"type": "message"}}
    assert post_event(server, reaction, event_id="Ev-reaction").status == 404


def test_the_shortcut_and_commands_have_listeners(server: Server, slack: MockSlack) -> None:
    for shortcut in MANIFEST["features"]["shortcuts"]:
        payload = {
            "type": "message_action",
            "callback_id": shortcut["callback_id"],
            "team": {"id": "T0001"},
            "user": {"id": "U111"},
            "channel": {"id": "C1"},
            "message": {"type": "message", "text": "hi", "ts": "1.0"},
            "message_ts": "1.0",
            "trigger_id": "t",
            "response_url": slack.response_url("m"),
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        assert server.post("/slack/events", body, signed_headers(body, content_type=FORM)).status == 200
    unknown = urllib.parse.urlencode({"payload": json.dumps({**payload, "callback_id": "nope"})})
    assert server.post("/slack/events", unknown, signed_headers(unknown, content_type=FORM)).status == 404
    for command in MANIFEST["features"]["slash_commands"]:
        body = command_body(command["command"], "help", slack.response_url("c"))
        assert server.post("/slack/events", body, signed_headers(body, content_type=FORM)).status == 200
