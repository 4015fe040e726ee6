"""Health of the processes that serve no HTTP: the Socket Mode worker and the Discord gateway.

With CAREERBOT_HEARTBEAT_FILE set, each writes a small JSON file every
CAREERBOT_HEARTBEAT_SECONDS: `{"process", "pid", "connected", "time", "interval"}`,
replaced atomically so a reader never sees half of it. `connected` is the live state of
its WebSocket (false while reconnecting), and a clean stop writes `"stopped": true`.

`careerbot health` (or `python -m bot.health FILE`, which imports nothing but the standard
library, for a cheap probe) exits 0 when the file says connected and was written within
--max-age seconds (default three intervals), 1 otherwise with one line saying why. A hung
process stops writing, so a stale file fails too. For Docker: `HEALTHCHECK CMD careerbot
health`; for Kubernetes: an exec liveness/readiness probe running the same command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings

EXIT_HEALTHY = 0
EXIT_UNHEALTHY = 1


class Heartbeat:
    """A daemon thread writing the heartbeat file every `interval` seconds until stop()."""

    def __init__(self, path: Path, interval: float, process: str, connected: Callable[[], bool]) -> None:
        self.path, self.interval, self.process, self._connected = path, interval, process, connected
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{process}", daemon=True)

    def start(self) -> Heartbeat:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            self.beat()
            if self._stop.wait(self.interval):
                return

    def _is_connected(self) -> bool:
        try:
            return bool(self._connected())
        except Exception:  # a client half torn down is simply not connected
            return False

    def beat(self, stopped: bool = False) -> None:
        state: dict[str, Any] = {
            "process": self.process,
            "pid": os.getpid(),
            "connected": False if stopped else self._is_connected(),
            "time": time.time(),
            "interval": self.interval,
        }
        if stopped:
            state["stopped"] = True
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(state), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # a full or read-only disk must not take the worker down
            print(f"careerbot: heartbeat {self.path}: {exc.strerror}", file=sys.stderr)

    def stop(self) -> None:
        """Stop beating and record a clean stop (the probe then fails at once, not after max-age)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self.beat(stopped=True)


def start_heartbeat(settings: Settings, process: str, connected: Callable[[], bool]) -> Heartbeat | None:
    """Start the heartbeat when CAREERBOT_HEARTBEAT_FILE is set (None otherwise)."""
    if settings.careerbot_heartbeat_file is None:
        return None
    return Heartbeat(
        settings.careerbot_heartbeat_file, settings.careerbot_heartbeat_seconds, process, connected
    ).start()


def check(path: Path, max_age: float | None = None, now: float | None = None) -> tuple[bool, str]:
    """(healthy, one line) for the heartbeat file at `path`."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        written, interval = float(state["time"]), float(state["interval"])
        process, connected = str(state["process"]), state["connected"] is True
    except FileNotFoundError:
        return False, f"{path}: no heartbeat file (the process has not started, or writes elsewhere)"
    except OSError as exc:
        return False, f"{path}: cannot read the heartbeat file ({exc.strerror})"
    except (ValueError, KeyError, TypeError):
        return False, f"{path}: not a careerbot heartbeat file"
    limit = max_age if max_age is not None else 3 * interval
    age = (time.time() if now is None else now) - written
    if state.get("stopped"):
        return False, f"{process} (pid {state.get('pid')}) stopped {age:.1f} s ago"
    if age > limit:
        return False, f"{process}: last heartbeat {age:.1f} s ago (more than {limit:g} s): hung or gone"
    if not connected:
        return False, f"{process}: not connected (reconnecting), heartbeat {age:.1f} s ago"
    return True, f"{process}: connected, heartbeat {age:.1f} s ago"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.health FILE [--max-age S]`: the probe without loading careerbot's settings."""
    parser = argparse.ArgumentParser(prog="python -m bot.health", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="the heartbeat file (CAREERBOT_HEARTBEAT_FILE)")
    parser.add_argument("--max-age", type=float, help="seconds (default: three heartbeat intervals)")
    args = parser.parse_args(argv)
    healthy, line = check(args.file, args.max_age)
    print(line, file=sys.stdout if healthy else sys.stderr)
    return EXIT_HEALTHY if healthy else EXIT_UNHEALTHY


if __name__ == "__main__":
    sys.exit(main())
