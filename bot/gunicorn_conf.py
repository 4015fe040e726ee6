"""gunicorn settings for the `web` process (Procfile): bind $PORT, WEB_CONCURRENCY workers."""

from __future__ import annotations

from bot.settings import load_settings

# The same validated settings (environment and .env) as every other process; `careerbot
# serve` has already checked them, so a bad value never gets this far.
_settings = load_settings()
bind = f"0.0.0.0:{_settings.port}"
workers = _settings.web_concurrency
# Threads let one worker acknowledge many Slack requests at once while answers are posted
# in Bolt's own listener threads.
worker_class = "gthread"
threads = _settings.careerbot_threads
# Platforms kill 30 s after SIGTERM: stop accepting, finish acknowledged answers, exit by 25 s.
graceful_timeout = 25
timeout = 30
accesslog = None  # request lines are noise; errors still go to stderr
errorlog = "-"
loglevel = "info"


def worker_exit(server, worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """On shutdown, let every acknowledged answer (Slack listeners, Discord deferred edits) be
    delivered before the worker exits, within the grace period."""
    from bot.web import drain

    app = getattr(worker, "wsgi", None)  # the Flask app app_from_env() built in this worker
    if app is not None:
        drain(app)
