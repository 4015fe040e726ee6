"""The Procfile's web command as a real process: gunicorn, /healthz, a signed mention."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.common import free_port, procfile_command
from bench.mock_slack import MockSlack
from bench.slack_signing import command_body, event_body, signed_headers
from tests.support.http import http_get, http_post
from tests.support.processes import web_process
from tests.support.slack_requests import FORM


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, MockSlack, subprocess.Popen]]:
    with MockSlack() as slack, web_process(slack, tmp_path) as (url, proc):
        yield url, slack, proc


def test_web_process_serves_healthz_and_answers_a_mention(
    web: tuple[str, MockSlack, subprocess.Popen],
) -> None:
    url, slack, proc = web
    health = http_get(url + "/healthz")
    assert health.status == 200 and health.json()["passages"] > 50
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> what is MLOps?",
        "ts": "9.0",
        "channel": "C1",
    }
    body = event_body(event, event_id="EvWeb")
    assert http_post(url + "/slack/events", body, signed_headers(body)).status == 200
    [call] = slack.wait_for("chat.postMessage", timeout=15)
    assert call.body["thread_ts"] == "9.0"
    assert http_post(url + "/slack/events", body, signed_headers(body, secret="nope")).status == 401
    # a slash command is answered in the acknowledgement, through the same process
    form = command_body("/career", "What is a feature store?", slack.response_url("cmd"))
    answer = http_post(url + "/slack/events", form, signed_headers(form, content_type=FORM))
    assert answer.status == 200 and answer.json()["response_type"] == "ephemeral"
    assert "feature store" in json.dumps(answer.json()["blocks"])


def test_web_process_serves_discord_without_slack_settings(tmp_path: Path) -> None:
    discord = {"DISCORD_PUBLIC_KEY": "ab" * 32, "DISCORD_APPLICATION_ID": "123", "SLACK_BOT_TOKEN": ""}
    with MockSlack() as slack, web_process(slack, tmp_path, **discord) as (url, _):
        health = http_get(url + "/healthz").json()
        assert health["ok"] is True and health["slack"] is False and health["discord"] is True
        refused = http_post(url + "/slack/events", "{}", {"Content-Type": "application/json"})
        assert refused.status == 503 and refused.json()["error"].startswith("SLACK_BOT_TOKEN is not set")
        assert http_post(url + "/discord/interactions", "{}", {}).status == 401  # served, and verified
        assert slack.calls == []  # no Slack app in this deployment, not even auth.test


def offline_env(**extra: str) -> dict[str, str]:
    """The environment without our settings; the Web API is a local port nobody listens on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "DATABASE_URL"))}
    env.update(
        {
            "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            **extra,
        }
    )
    return env


def test_a_refused_bot_token_stops_start_up_with_one_line(tmp_path: Path) -> None:
    with MockSlack() as slack:
        slack.fail_with("auth.test", "invalid_auth")
        env = offline_env(
            SLACK_BOT_TOKEN="xoxb-wrong",
            SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=slack.api_url,
            CAREERBOT_DB=str(tmp_path / "t.db"),
        )
        proc = subprocess.run(
            procfile_command("web"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "careerbot: error: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)"
    ]
    assert "xoxb-wrong" not in proc.stderr


@pytest.mark.parametrize(
    ("env_extra", "expected"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-x"}, "SLACK_SIGNING_SECRET is not set"),
        ({}, "SLACK_BOT_TOKEN is not set (nor DISCORD_PUBLIC_KEY): nothing to serve"),
        ({"PORT": "http"}, "PORT is invalid"),
        ({"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "s", "WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
    ],
)
def test_missing_or_malformed_setting_stops_start_up_with_one_line(
    tmp_path: Path, env_extra: dict[str, str], expected: str
) -> None:
    env = offline_env(**env_extra)
    proc = subprocess.run(
        procfile_command("web"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in proc.stderr


def test_bad_database_url_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = offline_env(
        SLACK_BOT_TOKEN="xoxb-x",
        SLACK_SIGNING_SECRET="s",
        DATABASE_URL=f"postgresql://careerbot:hunter2@/db?host={tmp_path}",
    )
    proc = subprocess.run(
        procfile_command("web"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "hunter2" not in lines[0]
