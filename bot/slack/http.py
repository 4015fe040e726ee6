"""POST /slack/events: the Bolt app behind Flask (a blueprint in the web app)."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from slack_bolt.adapter.flask import SlackRequestHandler

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


def create_slack_blueprint(settings: Settings, engine: Engine, store: Store) -> Blueprint:
    """The events route; without Slack settings it answers 503 naming the variable."""
    blueprint = Blueprint("slack", __name__)
    problem = slack_problem(settings)
    if problem is None:
        # auth.test runs here, as each worker boots, not in the request path: acknowledging
        # Slack must never wait on the Web API. (serve_http checked the token once already.)
        executor = listener_executor()
        slack_handler = SlackRequestHandler(create_app(settings, engine, store, executor=executor))
        drain_on_shutdown(blueprint, executor)

        @blueprint.post("/slack/events")
        def slack_events():  # noqa: ANN202 - a Flask view
            return slack_handler.handle(request)
    else:
        logger.warning("Slack is not configured (%s); serving Discord only", problem)

        @blueprint.post("/slack/events")
        def slack_not_configured():  # noqa: ANN202
            return jsonify(error=problem), 503

    return blueprint
