"""The Slack app manifests (HTTP and Socket Mode) declare what the code listens to."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App, Assistant
from slack_sdk import WebClient

from bot.settings import Settings
from bot.slack.app import create_app
from bot.store.sqlite import SQLiteStore
from retrieval import Engine

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ["manifest.json", "manifest.socket.json"]
# The scopes each subscribed event needs (api.slack.com/events), beyond chat:write to reply.
EVENT_SCOPES = {
    "app_mention": {"app_mentions:read"},
    "message.im": {"im:history"},
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "member_joined_channel": {"channels:read", "groups:read"},
    "app_home_opened": set(),
    "assistant_thread_started": {"assistant:write"},
    "assistant_thread_context_changed": {"assistant:write"},
}
# Bolt's Assistant middleware (assistant_view) listens to these, and to message.im in its threads.
ASSISTANT_EVENTS = {"assistant_thread_started", "assistant_thread_context_changed"}


def _load(name: str) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((ROOT / name).read_text(encoding="utf-8"))
    return manifest


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """What the real app factory registers with Bolt: events, commands, actions."""
    seen: dict[str, set[str]] = defaultdict(set)
    originals = {
        kind: getattr(App, kind) for kind in ("event", "command", "action", "message", "shortcut", "view")
    }

    def recorder(kind: str) -> Any:
        def record(self: App, constraints: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(constraints, dict):
                constraints = constraints.get("type", constraints)
            seen[kind].add(
                constraints
                if isinstance(constraints, str)
                else getattr(constraints, "pattern", str(constraints))
            )
            return originals[kind](self, constraints, *args, **kwargs)

        return record

    tmp = tmp_path_factory.mktemp("manifest")
    store = SQLiteStore(tmp / "careerbot.db")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-manifest-test",
        slack_signing_secret="secret",
        careerbot_db=tmp / "careerbot.db",
    )
    original_use = App.use

    def use(self: App, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], Assistant):
            seen["event"].update(ASSISTANT_EVENTS)
        return original_use(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        for kind in originals:
            mp.setattr(App, kind, recorder(kind))
        mp.setattr(App, "use", use)
        create_app(
            settings,
            Engine.from_corpus(),
            store,
            client=WebClient(token="xoxb-manifest-test", base_url="http://127.0.0.1:9/api/"),
            token_verification_enabled=False,
        )
    store.close()
    return dict(seen)


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_matches_the_listeners(name: str, registered: dict[str, set[str]]) -> None:
    manifest = _load(name)
    assert manifest["_metadata"] == {"major_version": 1, "minor_version": 1}
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    # The code's `message` listener answers direct messages and follow-ups in channel and
    # private-channel threads it answered in: message.im, message.channels, message.groups.
    message_events = {"message.im", "message.channels", "message.groups"}
    code_events = set().union(*({e} if e != "message" else message_events for e in registered["event"]))
    assert events == code_events
    shortcuts = {s["callback_id"] for s in manifest["features"].get("shortcuts", [])}
    assert shortcuts == registered.get("shortcut", set())
    assert all(s["type"] == "message" for s in manifest["features"]["shortcuts"])
    assert manifest["features"]["agent_view"]["agent_description"]  # the agent pane
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == registered["command"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is bool(registered.get("action"))
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is ("app_home_opened" in registered["event"])
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is False
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {"chat:write", "commands"}.union(*(EVENT_SCOPES[e] for e in events))
    assert needed <= scopes, needed - scopes


def test_http_manifest_points_every_url_at_slack_events() -> None:
    manifest = _load("manifest.json")
    assert manifest["settings"]["socket_mode_enabled"] is False
    urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    urls |= {
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
    }
    assert all(u.endswith("/slack/events") for u in urls) and len(urls) == 1


def test_socket_manifest_is_the_http_one_in_socket_mode() -> None:
    """manifest.socket.json = manifest.json with Socket Mode on and no request URLs (no drift)."""
    expected = copy.deepcopy(_load("manifest.json"))
    for command in expected["features"]["slash_commands"]:
        del command["url"]
    del expected["settings"]["event_subscriptions"]["request_url"]
    del expected["settings"]["interactivity"]["request_url"]
    expected["settings"]["socket_mode_enabled"] = True
    assert _load("manifest.socket.json") == expected


def test_procfile_processes() -> None:
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert lines["web"].strip() == "careerbot serve --http"
    assert lines["worker"].strip() == "careerbot serve --socket"
    assert "discord register" in lines["release"] and "discord gateway" in lines["discord"]
