"""The Procfile's processes as real child processes, against local mocks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import free_port, procfile_command
from bench.mock_slack import MockSlack
from bench.slack_signing import SECRET
from tests.support.http import http_get


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    # Generous: four gunicorn workers each building the engine on two busy cores took 34-52 s here.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"web process exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if http_get(url).status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("web process did not come up")


@contextmanager
def web_process(slack: MockSlack, tmp_path: Path, **env_extra: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """The Procfile's web command against `slack`, up and healthy; SIGTERM on exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "DATABASE_URL"))}
    env.update(
        {
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "SLACK_BOT_TOKEN": "xoxb-procfile-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "CAREERBOT_DB": str(tmp_path / "web.db"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **env_extra,
        }
    )
    proc = subprocess.Popen(
        procfile_command("web"),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/healthz", proc)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
