"""Graceful shutdown: finish the answers already acknowledged, within the platform's grace period.

Each front end runs its post-ack work in an executor we own (Bolt's `listener_executor=`,
the Discord interaction handler's workers). On SIGTERM the process stops taking requests,
then `drain()` shuts those executors down and waits for the work they accepted, but never
longer than the grace period: the platform kills the process 30 s after SIGTERM anyway, and
a clean exit with a log line beats being killed mid-write.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Blueprint, Flask

logger = logging.getLogger(__name__)

# Heroku and most platforms send SIGKILL 30 s after SIGTERM; gunicorn's graceful_timeout is
# this, and the drain after it gets what is left.
GRACE_SECONDS = 25.0
# Set when draining starts: waits that would outlast the grace period (a rate limit's
# Retry-After) end at once, so each acknowledged answer gets its last try or its log line.
SHUTTING_DOWN = threading.Event()


def drain(executors: Sequence[Executor], timeout: float) -> bool:
    """Shut the executors down (no new work) and wait for their accepted work, at most
    `timeout` seconds in all; True when everything finished in time."""
    SHUTTING_DOWN.set()
    waiters = [
        threading.Thread(target=executor.shutdown, kwargs={"wait": True}, daemon=True, name="drain")
        for executor in executors
    ]
    for waiter in waiters:
        waiter.start()
    deadline = time.monotonic() + timeout
    for waiter in waiters:
        waiter.join(max(0.0, deadline - time.monotonic()))
    unfinished = sum(waiter.is_alive() for waiter in waiters)
    if unfinished:
        logger.warning(
            "shutdown: %d executor(s) still busy after %.1f s; exiting anyway", unfinished, timeout
        )
    return not unfinished


# -- the web process: each blueprint names the executors its routes feed ----------------------

EXECUTORS = "careerbot.executors"


def drain_on_shutdown(blueprint: Blueprint, executor: Executor) -> None:
    """Register `executor` with the Flask app the blueprint is mounted on, for `executors_of()`."""
    blueprint.record_once(lambda state: state.app.extensions.setdefault(EXECUTORS, []).append(executor))


def executors_of(app: Flask) -> list[Executor]:
    """The executors a web app's routes hand work to (Slack listeners, Discord deferred answers)."""
    return list(app.extensions.get(EXECUTORS, []))
