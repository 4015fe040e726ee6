"""`careerbot serve`: Socket Mode with SLACK_APP_TOKEN, the HTTP app (gunicorn) otherwise."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from bot.settings import Settings

GUNICORN_CONF = Path(__file__).with_name("gunicorn_conf.py")


def serve(settings: Settings, mode: str | None = None) -> int:
    """Run the bot until stopped. mode: "http", "socket", or None to choose from the settings."""
    mode = mode or ("socket" if settings.slack_app_token else "http")
    if mode == "socket":
        from bot.slack.socket_mode import serve_socket_mode

        return serve_socket_mode(settings)
    return serve_http(settings)


def serve_http(settings: Settings) -> int:
    """Check the settings, then replace this process with gunicorn (the production server)."""
    from bot.slack.app import check_slack_token
    from bot.store import open_store
    from bot.web import check_web_settings

    settings.require_web()  # a malformed PORT, WEB_CONCURRENCY or CAREERBOT_THREADS: one line
    check_web_settings(settings)  # the same check every worker makes, once, in one line
    open_store(settings).close()  # a bad DATABASE_URL or CAREERBOT_DB stops start-up here, in one line
    # A broken document or a damaged saved index: one line and exit 2 here, before any worker
    # starts (each worker would otherwise print its own traceback and gunicorn halt).
    from bot.runtime import build_engine

    build_engine(settings)
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
