"""The health signal of the Socket Mode worker and the Discord gateway, from real processes.

Each process runs as `careerbot ...` in a child process against local mocks (no network), with
CAREERBOT_HEARTBEAT_FILE set; the probe is the command a Docker HEALTHCHECK or a Kubernetes
exec probe runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.mock_slack import MockSlack
from bot.health import Heartbeat, check
from bot.settings import Settings
from tests.reliability.test_socket_mode import SocketServer
from tests.support.discord_client import BOT_TOKEN
from tests.support.fake_gateway import FakeGateway
from tests.support.mock_discord import MockDiscord
from tests.support.processes import start, wait_for

ROOT = Path(__file__).resolve().parents[2]
INTERVAL = "0.2"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(
        PYTHONPATH=str(ROOT),
        CAREERBOT_DB=str(tmp_path / "careerbot.db"),
        CAREERBOT_HEARTBEAT_FILE=str(tmp_path / "run" / "heartbeat.json"),
        CAREERBOT_HEARTBEAT_SECONDS=INTERVAL,
        **extra,
    )
    return env


@contextmanager
def _process(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """`careerbot <args>`, its output in cwd / 'process.log' (a file never stalls the child)."""
    proc = start([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, log=cwd / LOG)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


LOG = "process.log"


def _wait(what: str, predicate: Callable[[], bool], proc: subprocess.Popen[str], cwd: Path) -> None:
    """A polled predicate with a generous deadline; a process that exits fails it at once,
    quoting the end of its output."""
    wait_for(what, predicate, proc, cwd / LOG, deadline=120)


def _probe(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "health", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _light_probe(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.health", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_socket_mode_worker_heartbeat_follows_its_connection(tmp_path: Path) -> None:
    server = SocketServer()
    with MockSlack() as slack:
        slack.socket_url = server.url
        env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-h", SLACK_APP_TOKEN="xapp-h", SLACK_API_URL=slack.api_url)
        beat = Path(env["CAREERBOT_HEARTBEAT_FILE"])
        with _process(["serve", "--socket"], env, tmp_path) as proc:
            _wait("a connected heartbeat", lambda: check(beat)[0], proc, tmp_path)
            probe = _probe(env, tmp_path)
            assert probe.returncode == 0, probe.stderr
            assert probe.stdout.startswith("slack-socket-mode: connected, heartbeat ")
            light = _light_probe(beat)
            assert light.returncode == 0 and "connected" in light.stdout
            assert json.loads(beat.read_text())["pid"] == proc.pid

            server.close()  # Slack's end goes away: the worker is alive but not connected
            _wait("an unhealthy heartbeat", lambda: "not connected" in check(beat)[1], proc, tmp_path)
            probe = _probe(env, tmp_path)
            assert probe.returncode == 1 and "slack-socket-mode: not connected" in probe.stderr

            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
        healthy, line = check(beat)
        assert not healthy and line.startswith(f"slack-socket-mode (pid {proc.pid}) stopped")


def test_discord_gateway_heartbeat_follows_its_connection(tmp_path: Path) -> None:
    with MockDiscord() as api, FakeGateway([], close_code=1000) as gateway:
        env = _env(
            tmp_path,
            DISCORD_BOT_TOKEN=BOT_TOKEN,
            DISCORD_API_URL=api.api_url,
            DISCORD_GATEWAY_URL=gateway.url,
        )
        beat = Path(env["CAREERBOT_HEARTBEAT_FILE"])
        with _process(["discord", "gateway"], env, tmp_path) as proc:
            _wait("a connected heartbeat", lambda: check(beat)[0], proc, tmp_path)
            assert gateway.identify is not None and gateway.identify["token"] == BOT_TOKEN
            probe = _probe(env, tmp_path)
            assert probe.returncode == 0 and probe.stdout.startswith("discord-gateway: connected"), (
                probe.stderr
            )

            gateway.__exit__(None, None, None)  # the gateway closes and goes away; discord.py retries
            _wait("an unhealthy heartbeat", lambda: "not connected" in check(beat)[1], proc, tmp_path)
            assert _probe(env, tmp_path).returncode == 1

            proc.kill()  # a process that dies without a word: its heartbeat goes stale
            proc.wait(timeout=30)
        written = json.loads(beat.read_text())["time"]
        healthy, line = check(beat, now=written + 1.0)
        assert not healthy and "last heartbeat 1.0 s ago (more than 0.6 s): hung or gone" in line


def test_check_names_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "hb.json"
    assert check(path) == (
        False,
        f"{path}: no heartbeat file (the process has not started, or writes elsewhere)",
    )
    path.write_text("{not json")
    assert check(path) == (False, f"{path}: not a careerbot heartbeat file")
    beat = Heartbeat(path, 5.0, "probe", connected=lambda: True)
    beat.beat()
    written = json.loads(path.read_text())["time"]
    assert check(path, now=written + 14.0)[0] is True
    assert check(path, now=written + 16.0)[0] is False  # three intervals by default
    assert check(path, max_age=1.0, now=written + 2.0)[0] is False

    def broken() -> bool:
        raise RuntimeError("client half torn down")

    Heartbeat(path, 5.0, "probe", connected=broken).beat()
    assert "not connected" in check(path)[1]


def test_health_without_a_heartbeat_file_names_the_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    done = _probe(env, tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("careerbot: error: CAREERBOT_HEARTBEAT_FILE is not set")


@pytest.mark.parametrize("args", [["--file"], []])
def test_health_probe_fails_for_a_missing_file(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "nothing.json"
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env["CAREERBOT_HEARTBEAT_FILE"] = str(missing)
    done = _probe(env, tmp_path, *(args + [str(missing)] if args else []))
    assert done.returncode == 1 and "no heartbeat file" in done.stderr
