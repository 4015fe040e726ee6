"""/slack/events against hostile or odd requests over real HTTP: oversized and chunked bodies,
bad signatures with forged log lines, malformed bodies, "payload" in a slash command, odd
Retry-After values, click times, a Slack outage, and errors right after a button's ack."""

from __future__ import annotations

import io
import json
import logging
import time
import urllib.parse
from pathlib import Path

import pytest

from bench.mock_slack import MockSlack
from bench.slack_signing import SECRET, command_body, event_body, signed_headers
from bot.logs import configure_logging
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.support.http import Server, http_post_chunked, http_post_raw, running
from tests.support.slack_requests import FORM, eventually, mention, post_event

EVENTS = "/slack/events"


def refused_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "careerbot.requests"]


def test_body_over_the_limit_is_413_with_or_without_content_length(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="careerbot.requests")
    big = "payload=" + "x" * 1_100_000
    assert server.post(EVENTS, big, {"Content-Type": FORM}).status == 413
    chunked = http_post_chunked(server.url + EVENTS, {"Content-Type": FORM}, b"x" * 65536, 320)  # 20 MB
    assert chunked.status == 413 and chunked.json() == {"error": "request body too large"}
    lines = refused_lines(caplog)
    assert len(lines) == 2 and all("413" in line and "xxxx" not in line for line in lines)


def test_an_unsigned_body_is_refused_in_one_bounded_line_without_it(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    forged = "text=hi\n2026-12-01 12:00:00,000 ERROR careerbot: forged record\n" + "y" * 500_000
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=00",
    }
    assert server.post(EVENTS, forged, headers).status == 401
    stale = signed_headers(forged, timestamp=int(time.time()) - 3600, content_type=FORM)  # a skewed clock
    assert server.post(EVENTS, forged, stale).status == 401
    assert len(refused_lines(caplog)) == 2
    for record in caplog.records:  # Bolt never saw it: nothing logged it, anywhere
        message = record.getMessage()
        assert "forged record" not in message and "yyyy" not in message and len(message) < 400


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"type": "event_callback", "event": ', "application/json"),  # not JSON
        ("[1, 2, 3]", "application/json"),  # not an object
        ("{" + '"a":' * 50_000 + "1" + "}" * 50_000, "application/json"),  # nested too deeply
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "application/json"),
        ("payload=%7Bnot+json", FORM),  # an interactive payload that is not JSON
        ("payload=" + urllib.parse.quote("[" * 100_000 + "]" * 100_000), FORM),
    ],
)
def test_malformed_signed_bodies_are_400_in_one_line(
    server: Server, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    caplog.set_level(logging.WARNING)
    response = server.post(EVENTS, body, signed_headers(body, content_type=content_type))
    assert response.status == 400 and "error" in response.json()
    assert len(refused_lines(caplog)) == 1
    assert not any(r.exc_info for r in caplog.records)  # no traceback


def test_non_utf8_and_odd_signature_headers_are_400_or_401(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    raw = b'{"type": "event_callback", "x": "\xff\xfe"}'
    ts = str(int(time.time()))
    import hashlib
    import hmac

    good = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    base = [("Content-Type", "application/json")]
    url = server.url + EVENTS
    assert (
        http_post_raw(
            url, [*base, ("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", good)], raw
        ).status
        == 400
    )
    body = event_body(mention("<@UBOT> hi"))
    sig = signed_headers(body)["X-Slack-Signature"]
    for headers in (
        [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", "v0=ü" + sig[4:])],  # non-ASCII
        [("X-Slack-Request-Timestamp", f"{ts}.5"), ("X-Slack-Signature", sig)],  # not an integer
        [("X-Slack-Request-Timestamp", "1e9"), ("X-Slack-Signature", sig)],
        [("X-Slack-Request-Timestamp", ts), ("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", sig)],
        [("X-Slack-Request-Timestamp", "٣٣٣"), ("X-Slack-Signature", sig)],  # Unicode digits
        [("X-Slack-Signature", sig)],
    ):
        assert http_post_raw(url, [*base, *headers], body.encode()).status == 401, headers
    assert len(refused_lines(caplog)) == 7
    assert not any(r.exc_info for r in caplog.records)


def test_a_slash_command_mentioning_payload_is_answered(server: Server, slack: MockSlack) -> None:
    for text, channel in (("what goes in an API payload", "C111"), ("what is MLOps?", "Cpayload-team")):
        body = command_body("/career", text, slack.response_url("cmd"), channel=channel)
        assert "payload" in body
        response = server.post(EVENTS, body, signed_headers(body, content_type=FORM))
        assert response.status == 200, text
        data = response.json()
        assert data["response_type"] == "ephemeral" and data["blocks"]


def test_votes_carry_slacks_click_time(server: Server, slack: MockSlack, store: SQLiteStore) -> None:
    clicked = time.time() - 42.5
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": "U111"},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": "trig",
        "actions": [
            {
                "action_id": "vote_up",
                "block_id": "b",
                "value": json.dumps({"q": "What is MLOps?", "p": [], "s": []}),
                "type": "button",
                "action_ts": f"{clicked:.6f}",
            }
        ],
        "container": {"type": "message", "message_ts": "1.0", "channel_id": "C111", "is_ephemeral": True},
        "channel": {"id": "C111"},
        "response_url": slack.response_url("vote"),
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    assert server.post(EVENTS, body, signed_headers(body, content_type=FORM)).status == 200
    rows = eventually(lambda: store._execute("SELECT voted_at FROM votes", fetch=True, write=False))
    assert rows and abs(rows[0][0] - clicked) < 0.001  # the click, not the arrival


def test_a_fast_error_right_after_a_buttons_ack_keeps_the_200(server: Server) -> None:
    # No `user` in the payload: the listener fails right after ack(); Bolt's thread runner
    # used to reset the ack it had not sent yet, and the click got a 404 three seconds later.
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "api_app_id": "A0001",
        "actions": [
            {"action_id": "vote_up", "block_id": "b", "value": "{}", "type": "button", "action_ts": "1"}
        ],
        "container": {"type": "message", "message_ts": "1.0", "channel_id": "C111"},
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    statuses = [server.post(EVENTS, body, signed_headers(body, content_type=FORM)).status for _ in range(30)]
    assert statuses == [200] * 30


def test_non_integer_retry_after_is_waited_and_retried(server: Server, slack: MockSlack) -> None:
    slack.fail_next("chat.postMessage", 429, retry_after="0.2")  # type: ignore[arg-type]
    post_event(server, mention("<@UBOT> What is a feature store?", ts="41.0"), event_id="EvRA")
    calls = slack.wait_for("chat.postMessage", count=2, timeout=15)
    assert len(calls) == 2 and calls[1].body["thread_ts"] == "41.0"  # delivered on the retry


def test_a_retry_after_longer_than_the_shutdown_window_is_logged_not_waited(
    server: Server, slack: MockSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    slack.fail_next("chat.postMessage", 429, retry_after=30)
    started = time.monotonic()
    post_event(server, mention("<@UBOT> What is a feature store?", ts="42.0"), event_id="EvLong")
    assert eventually(
        lambda: any("EvLong: reply not delivered" in r.getMessage() for r in caplog.records), timeout=15
    )
    assert time.monotonic() - started < 20  # not the 30 s Retry-After
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_a_slack_outage_at_start_up_does_not_stop_the_app(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with MockSlack() as slack:
        slack.fail_next("auth.test", 503, count=2)
        settings = Settings(
            _env_file=None,
            slack_bot_token="xoxb-test-token",
            slack_signing_secret=SECRET,
            slack_api_url=slack.api_url,
            careerbot_db=tmp_path / "o.db",
        )
        caplog.set_level(logging.WARNING)
        app = create_web_app(settings, engine)  # Bolt's App() raised here during an outage
        with running(app) as server:
            body = command_body("/career", "what is MLOps?", slack.response_url("cmd"))
            response = server.post(EVENTS, body, signed_headers(body, content_type=FORM))
            assert response.status == 200 and response.json()["blocks"]  # acks and answers meanwhile
        assert any("auth.test failed" in r.getMessage() for r in caplog.records)


def test_the_token_is_checked_again_when_slack_is_back(engine: Engine, tmp_path: Path) -> None:
    from bot.slack.app import BotIdentity

    with MockSlack() as slack:
        slack.fail_next("auth.test", 503, count=1)
        settings = Settings(_env_file=None, slack_bot_token="xoxb-t", slack_api_url=slack.api_url)
        identity = BotIdentity(settings)
        identity.RECHECK_FIRST_SECONDS = 0.05  # type: ignore[misc]
        identity.start()
        assert identity.known is None  # Slack is down: no identity yet, nothing raised
        assert eventually(lambda: identity.known, timeout=10)  # the background check got it
        assert identity.known["user_id"] and len(slack.calls_to("auth.test")) == 2  # type: ignore[index]


def test_response_urls_and_tokens_are_redacted_at_debug(server: Server, slack: MockSlack) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", "text", stream)
    try:
        from tests.support.slack_requests import click

        url = slack.response_url("secret-capability")
        click(server, "share_answer", "What is MLOps?", url)
        slack.wait_for("response:secret-capability")
        eventually(lambda: "Sending a request" in stream.getvalue())
    finally:
        configure_logging("WARNING", "text")
    output = stream.getvalue()
    assert "secret-capability" not in output and "xoxb-test-token" not in output


def test_log_lines_escape_control_characters_and_stay_bounded() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "text", stream)
    try:
        logging.getLogger("careerbot.answers").info(
            "question: %s", "hi\n2026 ERROR forged\r\x1b[31m" + "z" * 10_000
        )
        try:
            raise ValueError("bad\ninput: forged line")
        except ValueError:
            logging.getLogger("careerbot.test").exception("failed on %r", "x")
    finally:
        configure_logging("WARNING", "text")
    lines = stream.getvalue().splitlines()
    assert not any(line.startswith(("2026 ERROR forged", "input: forged")) for line in lines)
    assert "\x1b" not in stream.getvalue() and "hi\\n2026 ERROR forged\\r\\x1b[31m" in lines[0]
    assert len(lines[0]) < 4200
