"""The web process serves Slack without Discord settings and Discord without Slack settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.mock_slack import MockSlack
from bench.slack_signing import SECRET, event_body, signed_headers
from bot.settings import Settings, SettingsError
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.support.http import http_get, http_post, running

DISCORD = {"discord_public_key": "ab" * 32, "discord_application_id": "123456789"}


def make(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, careerbot_db=tmp_path / "w.db", **values)  # type: ignore[arg-type]


def test_half_configured_slack_beside_discord_answers_503_naming_the_variable(
    tmp_path: Path, engine: Engine, store: SQLiteStore
) -> None:
    with MockSlack() as slack:
        settings = make(tmp_path, slack_bot_token="xoxb-x", slack_api_url=slack.api_url, **DISCORD)
        with running(create_web_app(settings, engine, store)) as server:
            body = event_body({"type": "app_mention", "text": "hi", "ts": "1.0", "channel": "C1"})
            response = http_post(server.url + "/slack/events", body, signed_headers(body))
            assert response.status == 503
            error = response.json()["error"]
            assert error.startswith("SLACK_SIGNING_SECRET is not set") and "\n" not in error
            health = http_get(server.url + "/healthz").json()
            assert health["ok"] is True and health["slack"] is False and health["discord"] is True
            # Discord is still served: its route answers (401 for an unsigned request, not 503)
            assert http_post(server.url + "/discord/interactions", "{}", {}).status == 401
        assert slack.calls == []  # no Bolt app was built, so not even auth.test


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "SLACK_BOT_TOKEN is not set (nor DISCORD_PUBLIC_KEY): nothing to serve"),
        ({"slack_bot_token": "xoxb-x"}, "SLACK_SIGNING_SECRET is not set"),
        ({"slack_signing_secret": SECRET}, "SLACK_BOT_TOKEN is not set"),
        ({"discord_public_key": "ab" * 32}, "DISCORD_APPLICATION_ID is not set"),
    ],
)
def test_nothing_complete_to_serve_stops_with_one_line(
    tmp_path: Path, engine: Engine, store: SQLiteStore, values: dict, message: str
) -> None:
    with pytest.raises(SettingsError) as info:
        create_web_app(make(tmp_path, **values), engine, store)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_socket_mode_stops_with_one_line_when_slack_refuses_or_is_unreachable(tmp_path: Path) -> None:
    from bot.serve import serve

    with MockSlack() as slack:
        slack.fail_with("auth.test", "invalid_auth")
        settings = make(
            tmp_path, slack_bot_token="xoxb-bad", slack_app_token="xapp-1", slack_api_url=slack.api_url
        )
        with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN was refused by Slack \(invalid_auth\)$"):
            serve(settings)
        gone = slack.api_url
    # the mock is closed now: nobody listens on its port
    settings = make(tmp_path, slack_bot_token="xoxb-1", slack_app_token="xapp-1", slack_api_url=gone)
    with pytest.raises(SettingsError, match=r"^cannot reach the Slack Web API at SLACK_API_URL="):
        serve(settings)
