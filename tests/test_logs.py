"""LOG_LEVEL / LOG_FORMAT applied by every server process; `careerbot --version`; bare `careerbot`."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bot.logs import configure_logging
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("_restore_root_logger")
def test_json_lines_carry_level_logger_message_extras_and_traceback() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    log = logging.getLogger("careerbot.test")
    log.debug("not shown at INFO")
    log.info("answered %d\nsecond line", 3, extra={"platform": "slack"})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # the message's newline stays inside its JSON string
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "careerbot.test"
    # Control characters are escaped in every format (issue 10: no log line carries a raw
    # newline from request data), so the message holds the two characters "\n".
    assert first["message"] == "answered 3\\nsecond line" and first["platform"] == "slack"
    assert first["ts"].endswith("+00:00")
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exc"]


@pytest.mark.usefixtures("_restore_root_logger")
def test_text_format_and_level() -> None:
    out = io.StringIO()
    configure_logging("WARNING", "text", stream=out)
    logging.getLogger("careerbot.test").info("hidden")
    logging.getLogger("careerbot.test").warning("shown")
    assert out.getvalue().endswith(" WARNING careerbot.test: shown\n")
    assert "hidden" not in out.getvalue()


def _careerbot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_version_and_bare_command_prints_help() -> None:
    from importlib.metadata import version

    done = _careerbot("--version")
    assert (done.returncode, done.stdout) == (0, f"careerbot {version('careerbot')}\n")
    bare = _careerbot()
    assert bare.returncode == 0 and bare.stderr == ""
    assert bare.stdout.startswith("usage: careerbot") and "ask" in bare.stdout and "chat" in bare.stdout


def test_gunicorn_factory_applies_the_log_settings(tmp_path: Path) -> None:
    """The web process's app factory configures logging from LOG_LEVEL/LOG_FORMAT (JSON here)."""
    code = (
        "import logging; from bot.web import app_from_env; app_from_env(); "
        "logging.getLogger('careerbot.probe').warning('probe'); "
        "logging.getLogger('careerbot.probe').info('below the level')"
    )
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(
        PYTHONPATH=str(ROOT),
        # Discord only: no Slack token check, nothing leaves the machine.
        DISCORD_PUBLIC_KEY=SigningKey.generate().verify_key.encode().hex(),
        DISCORD_APPLICATION_ID="1234",
        LOG_LEVEL="warning",
        LOG_FORMAT="json",
        SLACK_API_URL="http://127.0.0.1:9/api/",
        DISCORD_API_URL="http://127.0.0.1:9/api",
        CAREERBOT_DB=str(tmp_path / "x.db"),
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert {"logger": "careerbot.probe", "message": "probe", "level": "WARNING"}.items() <= records[
        -1
    ].items()
    assert all(r["level"] != "INFO" for r in records)
