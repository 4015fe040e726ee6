"""POST /slack/events: the Bolt app behind Flask (a blueprint in the web app)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Request, jsonify, request
from slack_bolt import BoltContext
from slack_bolt.adapter.flask.handler import to_flask_response
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context

from bot.http_guard import BodyTooLarge, read_body, refuse
from bot.settings import Settings, SettingsError
from bot.shutdown import drain_on_shutdown
from bot.slack.app import create_app, listener_executor
from bot.store import Store
from retrieval import Engine

logger = logging.getLogger(__name__)


def slack_problem(settings: Settings) -> str | None:
    """None when Slack's HTTP settings are complete, else one line naming the missing variable."""
    try:
        settings.require_slack_http()
    except SettingsError as exc:
        return str(exc)
    return None


MAX_CLOCK_SKEW_SECONDS = 300  # Slack's own rule: refuse requests more than five minutes off


class BadBody(Exception):
    """A signed body Bolt could not read; str() is the reason for the 400."""


def signature_problem(request: Request, raw: bytes, secret: bytes, now: float | None = None) -> str | None:
    """None for a request Slack signed (v0 HMAC-SHA256 of "v0:{timestamp}:{body}", timestamp within
    five minutes), else why not. Header values are checked before use: exactly one of each,
    ASCII, an integer timestamp (slack_sdk raises on a non-ASCII signature, Bolt on a float)."""
    timestamps = request.headers.getlist("X-Slack-Request-Timestamp")
    signatures = request.headers.getlist("X-Slack-Signature")
    if len(timestamps) != 1 or len(signatures) != 1:
        return "missing or repeated signature headers"
    timestamp, signature = timestamps[0].strip(), signatures[0].strip()
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return "timestamp is not an integer"
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return "timestamp more than five minutes off"
    if not signature.isascii() or not signature.startswith("v0="):
        return "malformed signature"
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return "signature mismatch"
    return None


def parse_body(text: str, content_type: str | None) -> dict[str, Any]:
    """The request as Bolt would read it, but right: Bolt takes any form body containing the
    text "payload" for an interactive payload, so `/career what goes in an API payload` (or a
    channel named #payload-team) reached no listener. Here only a `payload` field is one."""
    if not text:
        return {}
    if (content_type or "").split(";")[0].strip() == "application/json" or text.startswith("{"):
        data = _json(text)
    else:
        form = dict(parse_qsl(text, keep_blank_values=True))
        data = _json(form["payload"]) if "payload" in form else form
    if not isinstance(data, dict):
        raise BadBody("body is not a JSON object")
    return data


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise BadBody("body is nested too deeply") from None
    except ValueError:
        raise BadBody("body is not JSON") from None


class ParsedBoltRequest(BoltRequest):
    """A BoltRequest whose body is our parse (the raw text stays for Bolt's signature check)."""

    def __init__(self, parsed: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._parsed = parsed
        self.body = parsed
        self.context = build_context(BoltContext({}), parsed)

    def to_copyable(self) -> BoltRequest:
        copy = super().to_copyable()
        copy.body = self._parsed
        return copy


def create_slack_blueprint(settings: Settings, engine: Engine, store: Store) -> Blueprint:
    """The events route; without Slack settings it answers 503 naming the variable."""
    blueprint = Blueprint("slack", __name__)
    problem = slack_problem(settings)
    if problem is None:
        # auth.test runs here, as each worker boots, not in the request path: acknowledging
        # Slack must never wait on the Web API. (serve_http checked the token once already.)
        executor = listener_executor()
        bolt = create_app(settings, engine, store, executor=executor)
        drain_on_shutdown(blueprint, executor)
        secret = (settings.slack_signing_secret or "").encode()

        @blueprint.post("/slack/events")
        def slack_events():  # noqa: ANN202 - a Flask view
            # Bounded, verified and parsed here, in that order, before Bolt sees anything:
            # Bolt parses (and on a bad signature logs) the whole body first.
            try:
                raw = read_body(request, settings.careerbot_max_body_bytes)
            except BodyTooLarge:
                return refuse(request, 413, "request body too large")
            problem = signature_problem(request, raw, secret)
            if problem:
                return refuse(request, 401, "invalid request", problem)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return refuse(request, 400, "body is not UTF-8")
            try:
                parsed = parse_body(text, request.content_type)
            except BadBody as exc:
                return refuse(request, 400, str(exc))
            bolt_request = ParsedBoltRequest(
                parsed,
                body=text,
                query=request.query_string.decode("utf-8", errors="replace"),
                headers=dict(request.headers),
            )
            return to_flask_response(bolt.dispatch(bolt_request))
    else:
        logger.warning("Slack is not configured (%s); serving Discord only", problem)

        @blueprint.post("/slack/events")
        def slack_not_configured():  # noqa: ANN202
            return jsonify(error=problem), 503

    return blueprint
