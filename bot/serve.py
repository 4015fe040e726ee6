"""`careerbot serve`: Socket Mode with SLACK_APP_TOKEN, the HTTP app (gunicorn) otherwise."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
from pathlib import Path
from types import FrameType

from bot.settings import Settings

GUNICORN_CONF = Path(__file__).with_name("gunicorn_conf.py")


def serve(settings: Settings, mode: str | None = None) -> int:
    """Run the bot until stopped. mode: "http", "socket", or None to choose from the settings."""
    mode = mode or ("socket" if settings.slack_app_token else "http")
    if mode == "socket":
        return serve_socket_mode(settings)
    return serve_http(settings)


def serve_http(settings: Settings) -> int:
    """Check the settings, then replace this process with gunicorn (the production server)."""
    if settings.has_slack:
        settings.require_slack_http()
    elif not settings.has_discord:
        settings.require("slack_bot_token")
    from bot.store import open_store

    open_store(settings).close()  # a bad DATABASE_URL or CAREERBOT_DB stops start-up here, in one line
    gunicorn = shutil.which(
        "gunicorn", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    )
    if gunicorn is None:
        print("careerbot: error: gunicorn is not installed (pip install -e .)", file=sys.stderr)
        return 2
    os.environ["PORT"] = str(settings.port)
    os.execv(gunicorn, [gunicorn, "-c", str(GUNICORN_CONF), "bot.web:app_from_env()"])
    return 0  # not reached


def serve_socket_mode(settings: Settings) -> int:
    """Socket Mode for running behind a firewall: close the connection first, then drain."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app
    from bot.runtime import build_engine
    from bot.store import open_store

    settings.require_slack_socket()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings, build_engine(settings), open_store(settings))
    handler = SocketModeHandler(app, settings.slack_app_token)

    def stop(signum: int, frame: FrameType | None) -> None:
        handler.close()  # no new envelopes
        executor = getattr(getattr(app, "_listener_runner", None), "listener_executor", None)
        if executor is not None:
            executor.shutdown(wait=True)  # answers already acknowledged still go out
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    handler.start()
    return 0
