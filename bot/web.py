"""The production HTTP app: POST /slack/events, POST /discord/interactions, GET /healthz.

Served by gunicorn (bot/gunicorn_conf.py) through the `app_from_env()` factory, which runs
in each worker after the fork, so every worker opens its own store connections.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.app import create_app
from bot.runtime import build_engine
from bot.settings import Settings, SettingsError, load_settings
from bot.store import Store, open_store
from retrieval import Engine

logger = logging.getLogger(__name__)

# Bolt apps served by this process, so a graceful shutdown can drain their listeners.
_BOLT_APPS: list[App] = []


def create_web_app(settings: Settings, engine: Engine | None = None, store: Store | None = None) -> Flask:
    """The Flask app with every route; Slack and Discord each need only their own settings."""
    if not settings.has_slack and not settings.has_discord:
        raise SettingsError(
            "SLACK_BOT_TOKEN is not set (and no DISCORD_PUBLIC_KEY/DISCORD_APPLICATION_ID): nothing to serve"
        )
    engine = engine or build_engine(settings)
    store = store or open_store(settings)
    flask_app = Flask("careerbot")

    if settings.has_slack:
        settings.require_slack_http()
        bolt = create_app(settings, engine, store)
        _BOLT_APPS.append(bolt)
        slack_handler = SlackRequestHandler(bolt)

        @flask_app.post("/slack/events")
        def slack_events():  # noqa: ANN202 - a Flask view
            return slack_handler.handle(request)
    else:
        missing = "SLACK_BOT_TOKEN is not set: this deployment serves Discord only"

        @flask_app.post("/slack/events")
        def slack_not_configured():  # noqa: ANN202
            return jsonify(error=missing), 503

    from bot.discord.http import create_discord_blueprint

    flask_app.register_blueprint(create_discord_blueprint(settings, engine, store))

    @flask_app.get("/healthz")
    def healthz():  # noqa: ANN202
        return jsonify(ok=True, documents=len(engine.documents), passages=len(engine.passages))

    return flask_app


def app_from_env() -> Flask:
    """gunicorn's factory: settings from the environment."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_web_app(load_settings())


def drain(timeout_hint: str = "") -> None:
    """Finish every listener already acknowledged (SIGTERM): wait for Bolt's executors."""
    for bolt in _BOLT_APPS:
        executor = getattr(getattr(bolt, "_listener_runner", None), "listener_executor", None)
        if isinstance(executor, ThreadPoolExecutor):
            executor.shutdown(wait=True)
    logger.info("drained %d Slack app(s) %s", len(_BOLT_APPS), timeout_hint)
