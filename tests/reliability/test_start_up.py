"""The tests' own start-up waits: a server process that cannot start fails the test at once with
its output, and one that never becomes ready fails at the deadline with its output, not silently."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bench.mock_slack import MockSlack
from tests.support.processes import start, tail, wait_for, web_process


def test_a_web_process_that_cannot_start_fails_the_wait_at_once_quoting_its_output(tmp_path: Path) -> None:
    with (
        MockSlack() as slack,
        pytest.raises(AssertionError) as failed,
        web_process(slack, tmp_path, PORT="notaport"),
    ):
        pytest.fail("a web process with PORT=notaport came up")
    message = str(failed.value)
    assert "the process exited 2; its output ends:" in message
    assert "careerbot: error: PORT is invalid" in message


def test_a_process_that_never_gets_ready_fails_at_the_deadline_quoting_its_output(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    script = "import sys, time; print('still booting', flush=True); time.sleep(120)"
    proc = start([sys.executable, "-c", script], env=dict(os.environ), cwd=tmp_path, log=log)
    try:
        wait_for("the first line", lambda: "still booting" in tail(log), proc, log)
        with pytest.raises(AssertionError, match=r"waiting for readiness; the output ends:\nstill booting"):
            wait_for("readiness", lambda: False, proc, log, deadline=0.2)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode != 0


def test_a_chatty_child_never_stalls_on_its_output(tmp_path: Path) -> None:
    """An unread pipe fills at 64 KiB and blocks the child; the log file does not."""
    log = tmp_path / "chatty.log"
    script = "import sys\nfor i in range(20000): print('x' * 80, file=sys.stderr)\nprint('done', flush=True)"
    proc = start([sys.executable, "-c", script], env=dict(os.environ), cwd=tmp_path, log=log)
    try:
        wait_for("the child to finish", lambda: proc.poll() is not None, proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == 0 and tail(log).endswith("done\n")
    assert log.stat().st_size > 1_600_000
