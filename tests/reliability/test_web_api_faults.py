"""The Slack Web API failing: retried within bounds, then logged with the event id; the app goes on."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from bench.mock_slack import MockSlack
from bench.slack_signing import SECRET, event_body, signed_headers
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.support.http import http_post


@pytest.fixture
def running(tmp_path: Path, engine: Engine) -> Iterator[tuple[str, MockSlack]]:
    with MockSlack() as slack:
        settings = Settings(
            _env_file=None,
            slack_bot_token="xoxb-faults",
            slack_signing_secret=SECRET,
            slack_api_url=slack.api_url,
            slack_api_timeout=0.5,
        )
        app = create_web_app(settings, engine, SQLiteStore(tmp_path / "f.db"))
        http = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{http.server_port}", slack
        http.shutdown()


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_corpus()


def mention(url: str, ts: str, event_id: str) -> int:
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> what is MLOps?", "ts": ts, "channel": "C1"}
    body = event_body(event, event_id=event_id)
    return http_post(url + "/slack/events", body, signed_headers(body)).status


def wait_for_log(caplog: pytest.LogCaptureFixture, needle: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in caplog.records:
            if needle in record.getMessage():
                return record.getMessage()
        time.sleep(0.05)
    raise AssertionError(f"no log line with {needle!r}")


def test_server_errors_are_retried_then_logged(running, caplog: pytest.LogCaptureFixture) -> None:
    url, slack = running
    caplog.set_level(logging.ERROR)
    slack.fail_next("chat.postMessage", 500, count=3)
    assert mention(url, "1.0", "EvFive") == 200
    assert "reply failed" in wait_for_log(caplog, "event EvFive")
    assert len(slack.calls_to("chat.postMessage")) == 3  # first try + 2 retries, no more
    assert mention(url, "2.0", "EvNext") == 200  # the app keeps serving
    assert slack.wait_for("chat.postMessage", count=4)[-1].body["thread_ts"] == "2.0"


def test_rate_limit_waits_for_retry_after(running) -> None:
    url, slack = running
    slack.fail_next("chat.postMessage", 429, retry_after=1)
    started = time.monotonic()
    mention(url, "3.0", "EvRate")
    calls = slack.wait_for("chat.postMessage", count=2)
    assert len(calls) == 2 and time.monotonic() - started >= 1.0


def test_slow_api_times_out_and_is_logged(running, caplog: pytest.LogCaptureFixture) -> None:
    url, slack = running
    caplog.set_level(logging.ERROR)
    slack.delay = 1.5  # beyond SLACK_API_TIMEOUT=0.5, on every try
    assert mention(url, "4.0", "EvSlow") == 200
    wait_for_log(caplog, "event EvSlow")
    slack.delay = 0
    mention(url, "5.0", "EvFast")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(c.body.get("thread_ts") == "5.0" for c in slack.calls):
        time.sleep(0.05)
    assert any(c.body.get("thread_ts") == "5.0" for c in slack.calls_to("chat.postMessage"))


def test_refused_connections_are_retried_then_logged(running, caplog: pytest.LogCaptureFixture) -> None:
    url, slack = running
    caplog.set_level(logging.ERROR)
    slack.__exit__(None, None, None)  # the Web API goes away: connections are refused
    assert mention(url, "6.0", "EvRefused") == 200
    assert "reply failed" in wait_for_log(caplog, "event EvRefused")
    assert mention(url, "7.0", "EvAfter") == 200  # still serving
