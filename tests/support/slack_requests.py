"""Small helpers shared by the Slack scenario tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from bench.mock_slack import MockSlack
from bench.slack_signing import action_body, command_body, event_body, signed_headers
from tests.support.http import Response, Server

FORM = "application/x-www-form-urlencoded"
T = TypeVar("T")


def mention(text: str, ts: str = "1700000100.000100", channel: str = "CGENERAL", **extra: str) -> dict:
    return {"type": "app_mention", "user": "U111", "text": text, "ts": ts, "channel": channel, **extra}


def dm(text: str, ts: str = "1.0", channel: str = "D111", **extra: Any) -> dict:
    return {
        "type": "message",
        "channel_type": "im",
        "user": "U111",
        "text": text,
        "ts": ts,
        "channel": channel,
        **extra,
    }


def post_event(server: Server, event: dict, event_id: str = "Ev001", retry: int | None = None) -> Response:
    body = event_body(event, event_id=event_id)
    headers = signed_headers(body)
    if retry is not None:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return server.post("/slack/events", body, headers)


def command(server: Server, slack: MockSlack, name: str, text: str, user: str = "U111") -> Response:
    body = command_body(name, text, slack.response_url("cmd"), user=user)
    return server.post("/slack/events", body, signed_headers(body, content_type=FORM))


def click(server: Server, action_id: str, value: str, response_url: str, **kwargs: Any) -> Response:
    body = action_body(action_id, value, response_url, **kwargs)
    return server.post("/slack/events", body, signed_headers(body, content_type=FORM))


def all_text(blocks_: list[dict]) -> str:
    return json.dumps(blocks_, ensure_ascii=False)


def button(blocks_: list[dict], action_id: str) -> dict:
    """The first button with this action_id in a message's blocks."""
    return next(
        e for b in blocks_ if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id
    )


def eventually(probe: Callable[[], T], timeout: float = 5.0) -> T:
    """Poll `probe` until it returns something truthy (work done after the ack); its last value."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not value and time.monotonic() < deadline:
        time.sleep(0.01)
        value = probe()
    return value
