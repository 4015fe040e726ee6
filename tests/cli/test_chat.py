"""The terminal front end: wrapping, [n] on every passage, colour rules, and the chat in a real pty."""

from __future__ import annotations

import fcntl
import io
import os
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.chat import Style, format_answer, output_width, use_colour
from retrieval.models import Answer, Hit

ROOT = Path(__file__).resolve().parents[2]
SGR = re.compile(r"\x1b\[[0-9;]*m")
ANY_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\x1b\][^\x07]*\x07")
URL = "https://example.org/a/rather/long/path/that/is/one/word/and/must/stay/whole/for/clicking"


def _answer() -> Answer:
    hit = {
        "doc_id": "d",
        "score": 1.0,
        "title": "A title long enough that the source line cannot fit in forty columns",
        "authors": ("Ada Lovelace", "Grace Hopper"),
        "site": "Example site",
        "url": URL,
    }
    return Answer(
        question="What does an ML engineer do?",
        answered=True,
        hits=(
            Hit(passage_id="d#1", text="First paragraph of one passage.\nSecond paragraph of it.", **hit),
            Hit(passage_id="d#2", text="Intro line.\n\nA paragraph after a blank line.\nA third one.", **hit),
            Hit(passage_id="d#3", text="A single paragraph " * 12, **hit),
        ),
    )


def test_every_passage_keeps_its_number_whatever_its_paragraphs() -> None:
    text = format_answer(_answer(), 80)
    starts = [line for line in text.splitlines() if re.match(r"\[\d\] ", line)]
    assert [s[:3] for s in starts] == ["[1]", "[2]", "[3]"]
    assert "[1] First paragraph of one passage." in text and "    Second paragraph of it." in text


@pytest.mark.parametrize("width", [40, 80, 120])
def test_lines_fit_the_width_words_are_whole_and_sources_wrap(width: int) -> None:
    answer = _answer()
    text = format_answer(answer, width)
    for line in text.splitlines():
        assert len(line) <= width or line.strip() == URL, line
    # No word was broken: the words of every passage and credit are all there, whole.
    words = set(text.split())
    for hit in answer.hits:
        assert set(hit.text.split()) <= words
        assert set(hit.title.split()) <= words
    assert URL in words  # the link is one unbroken token
    credit_lines = [line for line in text.splitlines() if line.lstrip().startswith("— ")]
    assert len(credit_lines) == 3
    if width == 40:  # the credit wrapped onto an indented continuation line
        after = text.splitlines()[text.splitlines().index(credit_lines[0]) + 1]
        assert after.startswith("      ") and not after.strip().startswith("http")


def test_colour_codes_only_when_styled() -> None:
    plain = format_answer(_answer(), 80)
    coloured = format_answer(_answer(), 80, Style(colour=True))
    assert not SGR.search(plain)
    assert "\x1b[1;36m[1]" in coloured
    assert SGR.sub("", coloured) == plain  # colour changes nothing else, widths included


def test_use_colour_and_width_follow_the_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    master, slave = os.openpty()
    tty = open(slave, "w", closefd=True)  # noqa: SIM115 - closed below
    try:
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.setenv("TERM", "xterm-256color")
        assert use_colour(tty) is True
        monkeypatch.setenv("NO_COLOR", "1")
        assert use_colour(tty) is False
        monkeypatch.setenv("NO_COLOR", "")  # the convention: set *and non-empty* turns colour off
        assert use_colour(tty) is True
        monkeypatch.setenv("TERM", "dumb")
        assert use_colour(tty) is False
        monkeypatch.setenv("TERM", "xterm")
        assert use_colour(io.StringIO()) is False
        assert output_width(io.StringIO()) == 88
        monkeypatch.setenv("COLUMNS", "80")
        assert output_width(tty) == 80
    finally:
        tty.close()
        os.close(master)


class Terminal:
    """A child process on a pseudo-terminal of the given size; output is collected by a thread."""

    def __init__(self, argv: list[str], env: dict[str, str], columns: int = 80, rows: int = 24) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, start_new_session=True
        )
        os.close(slave)
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO once the child has closed its side
                return
            if not data:
                return
            with self._lock:
                self._chunks.append(data)

    @property
    def output(self) -> str:
        with self._lock:
            return b"".join(self._chunks).decode("utf-8", "replace")

    def wait_for(self, predicate: object, deadline: float = 90.0) -> str:
        """Poll the output until predicate(output) holds; fail with the screen so far."""
        check = predicate if callable(predicate) else (lambda out: predicate in out)
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            out = self.output
            if check(out):
                return out
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)  # polling a condition, not waiting for time to pass
        raise AssertionError(f"timed out; output so far:\n{self.output[-3000:]!r}")

    def send(self, data: str) -> None:
        raw = data.encode()
        for i in range(0, len(raw), 512):  # the reader drains the echo while we write
            os.write(self.master, raw[i : i + 512])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)
        os.close(self.master)


@pytest.fixture
def chat_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "NO_COLOR"))}
    env.update(TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path / "state"), HOME=str(tmp_path))
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return env


@pytest.fixture
def terminal(chat_env: dict[str, str]) -> Iterator[Terminal]:
    term = Terminal([sys.executable, "-m", "bot", "chat"], chat_env)
    yield term
    term.close()


def _prompts(out: str) -> int:
    return SGR.sub("", out).count("you> ")


def _screen_lines(out: str) -> list[str]:
    return [ANY_ESCAPE.sub("", line).replace("\r", "") for line in out.split("\n")]


def test_chat_in_a_pty_with_arrow_keys_history_long_lines_and_80_columns(
    terminal: Terminal, chat_env: dict[str, str]
) -> None:
    question = "What does a machine learning engineer do day to day?"
    terminal.wait_for(lambda out: _prompts(out) >= 1)

    # Type all but the first letter, walk back with the left arrow, put the letter in.
    terminal.send(question[1:] + "\x1b[D" * (len(question) - 1) + question[0] + "\r")
    out = terminal.wait_for(lambda out: _prompts(out) >= 2)
    plain = SGR.sub("", out)
    assert f"Q: {question}" in plain
    assert "control characters" not in plain
    assert "\x1b[1;36m[1]" in out  # colour on a terminal, NO_COLOR unset
    answer_lines = _screen_lines(out[out.index("Q: ") :])
    assert any(line.startswith("[1] ") for line in (SGR.sub("", x) for x in answer_lines))
    for line in answer_lines:
        visible = SGR.sub("", line)
        assert len(visible) <= 80 or visible.strip().startswith("http"), visible

    # The up arrow brings the question back from history.
    terminal.send("\x1b[A\r")
    out = terminal.wait_for(lambda out: _prompts(out) >= 3)
    assert SGR.sub("", out).count(f"Q: {question}") == 2

    # A paste longer than the tty's 4,095-character canonical line arrives whole: the engine
    # sees all 5,000 characters (and refuses them as too long, naming the real length).
    terminal.send("x" * 5_000 + "\r")
    out = terminal.wait_for(lambda out: _prompts(out) >= 4)
    assert "too long (5,000 characters" in SGR.sub("", out)

    terminal.send("\x04")  # Ctrl-D ends the chat cleanly
    assert terminal.proc.wait(timeout=30) == 0
    history = Path(chat_env["XDG_STATE_HOME"]) / "careerbot" / "history"
    assert question in history.read_text(encoding="utf-8")


def test_chat_in_a_pty_has_no_colour_with_no_color(chat_env: dict[str, str]) -> None:
    term = Terminal([sys.executable, "-m", "bot", "chat"], {**chat_env, "NO_COLOR": "1"})
    try:
        term.wait_for(lambda out: _prompts(out) >= 1)
        term.send("What is MLOps?\r")
        out = term.wait_for(lambda out: _prompts(out) >= 2)
        assert "Q: What is MLOps?" in out
        assert not SGR.search(out)
        term.send("quit\r")
        assert term.proc.wait(timeout=30) == 0
    finally:
        term.close()
