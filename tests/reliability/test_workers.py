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
from tests.support.processes import WEB_LOG, web_process


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


@pytest.mark.parametrize("refusals", [1, 10])
def test_sigterm_during_a_retry_after_wait_delivers_or_logs_the_answer(tmp_path: Path, refusals: int) -> None:
    """Slack answers the reply with 429 and an 8 s Retry-After (the longest wait the client
    takes), and SIGTERM comes during the wait: the wait ends, the reply gets its last try, and
    it is either delivered (Slack takes it) or one log line says it was not, naming the channel."""
    with MockSlack() as slack, web_process(slack, tmp_path, WEB_CONCURRENCY="1") as (url, proc):
        slack.fail_next("chat.postMessage", 429, count=refusals, retry_after=8)
        body = event_body(mention("400.0", channel="C400"), event_id="EvWait")
        assert http_post(url + "/slack/events", body, signed_headers(body)).status == 200  # acknowledged
        assert slack.wait_for("chat.postMessage", timeout=60)  # the first try was refused: the wait began
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)  # generous: gunicorn's own grace period is 25 s
    stderr = (tmp_path / WEB_LOG).read_text()
    assert proc.returncode == 0, stderr[-3000:]
    delivered = len(slack.calls_to("chat.postMessage")) > refusals  # a try after the 429s got a 200
    not_delivered = [line for line in stderr.splitlines() if "EvWait: reply not delivered" in line]
    if refusals == 1:
        assert delivered and not_delivered == [], stderr[-3000:]
    else:
        assert not delivered, stderr[-3000:]
        assert len(not_delivered) == 1 and "channel C400" in not_delivered[0], stderr[-3000:]
        assert "ratelimited" in not_delivered[0]
    assert "xoxb-procfile-test" not in stderr
