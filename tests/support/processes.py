"""The Procfile's processes as real child processes, against local mocks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import free_port, procfile_command
from bench.mock_slack import MockSlack
from bench.slack_signing import SECRET
from tests.support.http import http_get

WEB_LOG = "web.log"


def start(argv: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    """A child process whose stdout and stderr both go to `log`: a file never fills up and
    stalls the child the way an unread pipe does, and a failing test can quote it."""
    with log.open("w") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, text=True
        )


def tail(log: Path, chars: int = 3000) -> str:
    """The end of a child's output, for a failure message."""
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no output file)"


def wait_for(
    what: str, predicate: Callable[[], bool], proc: subprocess.Popen, log: Path, deadline: float = 120
) -> None:
    """Poll `predicate` until it holds. A child that exits first fails the wait at once (not
    at the deadline), and either failure quotes the end of its output."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return
        if proc.poll() is not None:
            if predicate():
                return
            raise AssertionError(
                f"{what}: the process exited {proc.returncode}; its output ends:\n{tail(log)}"
            )
        time.sleep(0.05)  # polling a condition with a generous deadline
    raise AssertionError(
        f"timed out after {deadline:.0f} s waiting for {what}; the output ends:\n{tail(log)}"
    )


def _healthy(url: str) -> bool:
    try:
        return http_get(url).status == 200
    except OSError:  # not listening yet
        return False


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    # Generous: four gunicorn workers each building the engine on two busy cores took 34-52 s here.
    wait_for(f"{url} to answer 200", lambda: _healthy(url), proc, log, timeout)


@contextmanager
def web_process(slack: MockSlack, tmp_path: Path, **env_extra: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """The Procfile's web command against `slack`, up and healthy; SIGTERM on exit. Its output
    (gunicorn's and the app's log) goes to tmp_path / WEB_LOG; a process that cannot start
    fails the test at once, quoting it."""
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
    log = tmp_path / WEB_LOG
    proc = start(procfile_command("web"), cwd=tmp_path, env=env, log=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/healthz", proc, log)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
