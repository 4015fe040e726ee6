"""gunicorn with 4 workers sharing one store: duplicates, concurrency and graceful shutdown."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.mock_slack import MockSlack
from bench.slack_signing import event_body, signed_headers
from tests.support.http import http_post
from tests.support.processes import web_process


def mention(
    ts: str, text: str = "<@UBOT> Why should an ML engineer understand cost functions?", channel: str = "C1"
) -> dict:
    return {"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": channel}


def post_many(url: str, bodies: list[str]) -> list[int]:
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(lambda b: http_post(url + "/slack/events", b, signed_headers(b)).status, bodies))


@pytest.fixture(params=["sqlite", "postgres"])
def store_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "sqlite":
        return {}
    return {"DATABASE_URL": request.getfixturevalue("postgres_url")}


def test_same_event_ten_times_at_once_gets_one_reply(tmp_path: Path, store_env: dict[str, str]) -> None:
    with MockSlack() as slack, web_process(slack, tmp_path, WEB_CONCURRENCY="4", **store_env) as (url, _):
        body = event_body(mention("100.0"), event_id="EvSame")
        assert post_many(url, [body] * 10) == [200] * 10
        slack.wait_for("chat.postMessage")
        # A mention delivered as app_mention and as message (two event ids): one reply. The
        # message copy is a DM's (channel_type im), so it passes the DM filter and only the
        # (channel, ts) claim can stop the second answer: without it this test fails.
        pair = [
            event_body(mention("200.0", channel="D200"), event_id="EvPair1"),
            event_body(
                {**mention("200.0", channel="D200"), "type": "message", "channel_type": "im"},
                event_id="EvPair2",
            ),
        ]
        assert post_many(url, pair * 3) == [200] * 6
        assert len(slack.wait_for("chat.postMessage", count=2)) == 2
        slack.settle()
        replies = slack.calls_to("chat.postMessage")
        assert sorted(c.body["channel"] for c in replies) == ["C1", "D200"]


def test_sigterm_after_an_acknowledged_mention_still_posts_the_reply(tmp_path: Path) -> None:
    with MockSlack(delay=2.0) as slack, web_process(slack, tmp_path, WEB_CONCURRENCY="4") as (url, proc):
        body = event_body(mention("300.0"), event_id="EvTerm")
        started = time.monotonic()
        assert http_post(url + "/slack/events", body, signed_headers(body)).status == 200  # acknowledged
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        elapsed = time.monotonic() - started
        assert [c.body["thread_ts"] for c in slack.calls_to("chat.postMessage")] == ["300.0"]
        assert elapsed < 25  # platforms kill at 30 s
        assert proc.returncode == 0
