"""The Slack app manifest declares what the code listens to."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_manifest_matches_the_app() -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text())
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_mention", "message.im", "app_home_opened", "member_joined_channel"}
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/mle-vs-swe", "/career"}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history", "channels:read"} <= scopes
    urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    urls |= {
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
    }
    assert all(u.endswith("/slack/events") for u in urls)


def test_procfile_processes() -> None:
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert lines["web"].strip() == "careerbot serve --http"
    assert lines["worker"].strip() == "careerbot serve --socket"
    assert "discord register" in lines["release"] and "discord gateway" in lines["discord"]
