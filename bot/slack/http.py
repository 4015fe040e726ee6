"""POST /slack/events: the Bolt app behind Flask (a blueprint in the web app)."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.settings import Settings, SettingsError
from bot.slack.app import create_app
from bot.store import Store
from retrieval import Engine

logger = logging.getLogger(__name__)

# Bolt apps served by this process, so a graceful shutdown can drain their listeners.
_BOLT_APPS: list[App] = []


def slack_problem(settings: Settings) -> str | None:
    """None when Slack's HTTP settings are complete, else one line naming the missing variable."""
    try:
        settings.require_slack_http()
    except SettingsError as exc:
        return str(exc)
    return None


def create_slack_blueprint(settings: Settings, engine: Engine, store: Store) -> Blueprint:
    """The events route; without Slack settings it answers 503 naming the variable."""
    blueprint = Blueprint("slack", __name__)
    problem = slack_problem(settings)
    if problem is None:
        # auth.test runs here, as each worker boots, not in the request path: acknowledging
        # Slack must never wait on the Web API. (serve_http checked the token once already.)
        bolt = create_app(settings, engine, store)
        _BOLT_APPS.append(bolt)
        slack_handler = SlackRequestHandler(bolt)

        @blueprint.post("/slack/events")
        def slack_events():  # noqa: ANN202 - a Flask view
            return slack_handler.handle(request)
    else:
        logger.warning("Slack is not configured (%s); serving Discord only", problem)

        @blueprint.post("/slack/events")
        def slack_not_configured():  # noqa: ANN202
            return jsonify(error=problem), 503

    return blueprint


def drain() -> int:
    """Finish every listener already acknowledged (SIGTERM); the number of apps drained."""
    from concurrent.futures import ThreadPoolExecutor

    for bolt in _BOLT_APPS:
        executor = getattr(getattr(bolt, "_listener_runner", None), "listener_executor", None)
        if isinstance(executor, ThreadPoolExecutor):
            executor.shutdown(wait=True)
    return len(_BOLT_APPS)
