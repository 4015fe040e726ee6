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


def slack_problem(settings: Settings) -> str | None:
    """None when Slack's HTTP settings are complete, else one line naming the missing variable."""
    try:
        settings.require_slack_http()
    except SettingsError as exc:
        return str(exc)
    return None


def check_web_settings(settings: Settings) -> None:
    """Raise SettingsError (one line) unless the web process has something to serve.

    Slack needs no Discord setting and Discord no Slack setting: with Discord configured, a
    missing Slack setting only makes /slack/events answer 503 naming it. Without Discord,
    the Slack settings must be complete.
    """
    problem = slack_problem(settings)
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

    problem = slack_problem(settings)
    if problem is None:
        # auth.test runs here, as each worker boots, not in the request path: acknowledging
        # Slack must never wait on the Web API. (serve_http checked the token once already.)
        bolt = create_app(settings, engine, store)
        _BOLT_APPS.append(bolt)
        slack_handler = SlackRequestHandler(bolt)

        @flask_app.post("/slack/events")
        def slack_events():  # noqa: ANN202 - a Flask view
            return slack_handler.handle(request)
    else:
        logger.warning("Slack is not configured (%s); serving Discord only", problem)

        @flask_app.post("/slack/events")
        def slack_not_configured():  # noqa: ANN202
            return jsonify(error=problem), 503

    from bot.discord.http import create_discord_blueprint

    flask_app.register_blueprint(create_discord_blueprint(settings, engine, store))

    @flask_app.get("/healthz")
    def healthz():  # noqa: ANN202
        return jsonify(
            ok=True,
            slack=problem is None,
            discord=settings.has_discord,
            documents=len(engine.documents),
            passages=len(engine.passages),
        )

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
