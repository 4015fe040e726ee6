"""Building properly signed Slack requests (events, slash commands, interactivity)."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

from slack_sdk.signature import SignatureVerifier

SECRET = "test-signing-secret"


def signed_headers(
    body: str, secret: str = SECRET, timestamp: int | None = None, content_type: str = "application/json"
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}


def event_body(event: dict[str, Any], event_id: str = "Ev001", team: str = "T0001") -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
        }
    )


def command_body(
    command: str, text: str, response_url: str, user: str = "U111", channel: str = "C111"
) -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy",
            "team_id": "T0001",
            "channel_id": channel,
            "user_id": user,
            "user_name": "asker",
            "command": command,
            "text": text,
            "response_url": response_url,
            "trigger_id": "trig",
        }
    )


def action_body(
    action_id: str,
    value: str,
    response_url: str,
    *,
    user: str = "U111",
    channel: str = "C111",
    message: dict[str, Any] | None = None,
    ephemeral: bool = False,
    home: bool = False,
) -> str:
    """A block_actions payload shaped as Slack sends it: from a message (ephemeral ones come
    without `message`, only the container names it) or from the App Home view."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": user},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": "trig",
        "actions": [
            {"action_id": action_id, "block_id": "b", "value": value, "type": "button", "action_ts": "1"}
        ],
    }
    if home:
        payload["container"] = {"type": "view", "view_id": "V1"}
        payload["view"] = {"id": "V1", "type": "home", "blocks": []}
        return urllib.parse.urlencode({"payload": json.dumps(payload)})
    message = message or {"ts": "1700000000.000001", "text": "answer", "blocks": []}
    payload["container"] = {
        "type": "message",
        "message_ts": message.get("ts"),
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    payload["channel"] = {"id": channel}
    payload["response_url"] = response_url
    if not ephemeral:
        payload["message"] = message
    return urllib.parse.urlencode({"payload": json.dumps(payload)})
