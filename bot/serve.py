"""`careerbot serve`: Socket Mode with SLACK_APP_TOKEN, the HTTP app (gunicorn) otherwise."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.store import Store
    from retrieval import Engine

GUNICORN_CONF = Path(__file__).with_name("gunicorn_conf.py")


def serve(settings: Settings, mode: str | None = None) -> int:
    """Run the bot until stopped. mode: "http", "socket", or None to choose from the settings."""
    mode = mode or ("socket" if settings.slack_app_token else "http")
    if mode == "socket":
        return serve_socket_mode(settings)
    return serve_http(settings)


# auth.test errors that mean the token itself is wrong: no point in starting.
REFUSED_TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)


def check_slack_token(settings: Settings, *, must_reach: bool) -> None:
    """One auth.test before start-up, so a wrong SLACK_BOT_TOKEN is one line, not a traceback
    in every worker. An unreachable Web API stops Socket Mode (it cannot work without it) but
    only warns in HTTP mode, which answers Slack's requests and Discord meanwhile."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=5)
    try:
        client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        if error in REFUSED_TOKEN_ERRORS:
            raise SettingsError(f"SLACK_BOT_TOKEN was refused by Slack ({error})") from None
        problem = f"Slack's auth.test failed ({error})"
    except OSError as exc:  # refused, unreachable, timed out
        problem = f"cannot reach the Slack Web API at SLACK_API_URL={settings.slack_api_url} ({exc})"
    else:
        return
    if must_reach:
        raise SettingsError(problem)
    print(f"careerbot: warning: {problem}; starting anyway", file=sys.stderr)


def serve_http(settings: Settings) -> int:
    """Check the settings, then replace this process with gunicorn (the production server)."""
    from bot.store import open_store
    from bot.web import check_web_settings

    check_web_settings(settings)  # the same check every worker makes, once, in one line
    open_store(settings).close()  # a bad DATABASE_URL or CAREERBOT_DB stops start-up here, in one line
    if settings.has_slack and settings.slack_signing_secret:
        check_slack_token(settings, must_reach=False)
    gunicorn = shutil.which(
        "gunicorn", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    )
    if gunicorn is None:
        print("careerbot: error: gunicorn is not installed (pip install -e .)", file=sys.stderr)
        return 2
    # gunicorn_conf.py reads these from the environment; a value from .env counts too.
    os.environ["PORT"] = str(settings.port)
    os.environ["WEB_CONCURRENCY"] = str(settings.web_concurrency)
    os.execv(gunicorn, [gunicorn, "-c", str(GUNICORN_CONF), "bot.web:app_from_env()"])
    return 0  # not reached


def socket_mode_handler(settings: Settings, engine: Engine, store: Store) -> SocketModeHandler:
    """The Socket Mode connection for the Slack app (connect() or start() it)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    settings.require_slack_socket()
    return SocketModeHandler(create_app(settings, engine, store), settings.slack_app_token)


def drain_socket_mode(handler: SocketModeHandler) -> None:
    """Close the connection first (no new envelopes), then finish acknowledged answers."""
    handler.close()
    executor = getattr(getattr(handler.app, "_listener_runner", None), "listener_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)


def serve_socket_mode(settings: Settings) -> int:
    """Socket Mode for running behind a firewall, until SIGTERM."""
    from bot.runtime import build_engine
    from bot.store import open_store

    settings.require_slack_socket()
    check_slack_token(settings, must_reach=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler = socket_mode_handler(settings, build_engine(settings), open_store(settings))

    def stop(signum: int, frame: FrameType | None) -> None:
        drain_socket_mode(handler)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    handler.start()
    return 0
