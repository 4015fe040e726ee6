"""Graceful shutdown: acknowledged answers are finished, within a bound, on both platforms."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bench.mock_slack import MockSlack
from bench.slack_signing import SECRET, event_body, signed_headers
from bot.settings import Settings
from bot.shutdown import GRACE_SECONDS, drain, executors_of
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from bot.web import drain as drain_web
from retrieval import Engine
from tests.support.discord_client import BOT_TOKEN, Client, make_settings
from tests.support.discord_payloads import GUILD_USER, command
from tests.support.http import http_post, running
from tests.support.mock_discord import MockDiscord


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_corpus()


def test_drain_waits_for_accepted_work_but_not_past_the_bound() -> None:
    busy = ThreadPoolExecutor(max_workers=1)
    release = threading.Event()
    busy.submit(release.wait, 30)
    started = time.monotonic()
    assert drain([busy], timeout=0.2) is False  # still busy: gives up at the bound
    assert time.monotonic() - started < 5
    with pytest.raises(RuntimeError):
        busy.submit(print)  # but it takes no new work
    release.set()
    done: list[str] = []
    quick = ThreadPoolExecutor(max_workers=2)
    quick.submit(lambda: done.append("answered"))
    assert drain([busy, quick], timeout=10) is True and done == ["answered"]


def test_the_web_app_drains_slack_listeners_and_discord_answers(engine: Engine, tmp_path: Path) -> None:
    with MockSlack() as slack:
        slack.delay = 0.5  # the reply is still being posted when SIGTERM comes
        settings = Settings(
            _env_file=None,
            slack_bot_token="xoxb-test-token",
            slack_signing_secret=SECRET,
            slack_api_url=slack.api_url,
            discord_public_key=SigningKey.generate().verify_key.encode().hex(),
            discord_application_id="123",
            careerbot_db=tmp_path / "w.db",
        )
        store = SQLiteStore(tmp_path / "w.db")
        app = create_web_app(settings, engine, store)
        assert len(executors_of(app)) == 2  # Slack's listener executor and Discord's answer workers
        with running(app) as server:
            body = event_body(
                {
                    "type": "app_mention",
                    "user": "U1",
                    "text": "<@UBOT> what is MLOps?",
                    "ts": "3.0",
                    "channel": "C1",
                }
            )
            assert http_post(server.url + "/slack/events", body, signed_headers(body)).status == 200
            assert drain_web(app, timeout=20) is True
            # No polling: the drain returned only after the acknowledged mention was answered.
            assert len(slack.calls_to("chat.postMessage")) == 1
        for executor in executors_of(app):
            with pytest.raises(RuntimeError):
                executor.submit(print)  # both were shut down, Discord's included
        store.close()


def test_a_discord_rate_limit_during_shutdown_is_not_waited_out(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A deferred Discord answer whose edit gets 429 with a 9 s retry_after (waited normally:
    three edits and three follow-ups, 9 s apart, outlast the grace period): the drain ends the
    wait, the edit gets one last try, the follow-up one try, and a log line names the channel."""
    key = SigningKey.generate()
    caplog.set_level(logging.ERROR, logger="bot.discord.interactions")
    with MockDiscord() as api:
        api.rate_limit_next(retry_after=9, is_global=False, times=100)
        settings = make_settings(key, api, tmp_path, discord_defer=True)
        store = SQLiteStore(tmp_path / "d.db")
        app = create_web_app(settings, engine, store)
        with running(app) as server:
            posted = Client(server.url, key).post(command("career", "What is MLOps?", GUILD_USER, "interT"))
            assert posted.json()["type"] == 5  # deferred: acknowledged, the answer is owed
            assert api.wait_for("PATCH")  # the edit was refused: the client is waiting out retry_after
            assert drain_web(app, timeout=GRACE_SECONDS) is True
        store.close()
    edits = [r for r in api.requests if r.method == "PATCH"]
    followups = [r for r in api.requests if r.method == "POST" and "/webhooks/" in r.path]
    assert 1 <= len(edits) <= 2 and len(followups) == 1  # not 3 and 3
    lines = [r.getMessage() for r in caplog.records]
    [line] = [m for m in lines if "answer not delivered" in m]
    assert line.startswith("interaction interT: answer not delivered to channel 555")
    assert "shutting down: not waited" in line
    assert not any("tok-abc" in m or BOT_TOKEN in m for m in lines)  # no interaction token, no bot token
