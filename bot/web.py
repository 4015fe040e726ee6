"""The production HTTP app: mounts POST /slack/events, POST /discord/interactions, GET /healthz, /insight.

Served by gunicorn (bot/gunicorn_conf.py) through the `app_from_env()` factory, which runs
in each worker after the fork, so every worker opens its own store connections. Each
platform's route lives with the platform (bot/slack/http.py, bot/discord/http.py).
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify

from bot.discord import http as discord_http
from bot.runtime import build_engine
from bot.settings import Settings, SettingsError, load_settings
from bot.shutdown import GRACE_SECONDS, executors_of
from bot.shutdown import drain as drain_executors
from bot.slack import http as slack_http
from bot.store import Store, open_store
from retrieval import Engine

logger = logging.getLogger(__name__)


def check_web_settings(settings: Settings) -> None:
    """Raise SettingsError (one line) unless the web process has something to serve.

    Slack needs no Discord setting and Discord no Slack setting: with Discord configured, a
    missing Slack setting only makes /slack/events answer 503 naming it. Without Discord,
    the Slack settings must be complete.
    """
    problem = slack_http.slack_problem(settings)
    if problem is None or settings.has_discord:
        return
    if not settings.has_slack and (settings.discord_public_key or settings.discord_application_id):
        settings.require_discord()  # Discord half set up: name what Discord still needs
    if not settings.has_slack:
        raise SettingsError(f"{problem.split(':')[0]} (nor DISCORD_PUBLIC_KEY): nothing to serve")
    raise SettingsError(problem)


def create_web_app(settings: Settings, engine: Engine | None = None, store: Store | None = None) -> Flask:
    """The Flask app with every route; Slack and Discord each need only their own settings."""
    check_web_settings(settings)
    engine = engine or build_engine(settings)
    store = store or open_store(settings)
    flask_app = Flask("careerbot")
    flask_app.register_blueprint(slack_http.create_slack_blueprint(settings, engine, store))
    flask_app.register_blueprint(discord_http.create_discord_blueprint(settings, engine, store))

    from bot.insight.web import create_insight_blueprint

    flask_app.register_blueprint(create_insight_blueprint(settings, engine, store))

    @flask_app.get("/healthz")
    def healthz():  # noqa: ANN202
        return jsonify(
            ok=True,
            slack=slack_http.slack_problem(settings) is None,
            discord=settings.has_discord,
            documents=len(engine.documents),
            passages=len(engine.passages),
        )

    return flask_app


def app_from_env() -> Flask:
    """gunicorn's factory: settings from the environment."""
    settings = load_settings()
    settings.configure_logging()
    return create_web_app(settings)


def drain(app: Flask, timeout: float = GRACE_SECONDS) -> bool:
    """Finish every answer already acknowledged (SIGTERM): Slack listeners and Discord deferred
    answers, at most `timeout` seconds; True when all finished."""
    executors = executors_of(app)
    finished = drain_executors(executors, timeout)
    logger.info("drained %d executor(s)%s", len(executors), "" if finished else " (timed out)")
    return finished
