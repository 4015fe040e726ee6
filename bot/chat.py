"""The terminal front end: answers rendered for a terminal, and the local chat (`careerbot chat`).

- Width: the terminal's (shutil.get_terminal_size), so an 80-column window never breaks a
  word; 88 columns when the output is not a terminal (a pipe or a file), so scripts see
  stable text. Long words (URLs) are never split, so a link stays whole and clickable.
- Colour: plain ANSI SGR codes, only when the stream is a terminal, TERM is not `dumb` and
  NO_COLOR (no-color.org) is unset or empty. Plain ANSI over rich: rich.console took 60-75 ms
  to import here (400 ms cold) and brings two more dependencies, for three colours.
- Line editing: on a terminal the chat reads with `input()` after importing readline, so
  arrow keys, Home/End, Ctrl-R and history work, and a long paste is not cut: GNU readline
  reads in non-canonical mode, where the tty's 4,095-character line limit does not apply.
  History is kept in $XDG_STATE_HOME/careerbot/history (or ~/.local/state/...), best effort.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from retrieval import NO_ANSWER_TEXT, Answer, Engine, QuestionError

PIPE_WIDTH = 88
MAX_WIDTH = 100  # beyond this, lines get hard to read even on a wide terminal
MIN_WIDTH = 40
INDENT = "    "
HISTORY_LENGTH = 1_000
QUIT_WORDS = frozenset({"quit", "exit", ":q"})


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal that can show it, and never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


def output_width(stream: TextIO) -> int:
    """Columns to wrap to: the terminal's (capped for readability), or PIPE_WIDTH off a terminal."""
    try:
        is_tty = stream.isatty()
    except (AttributeError, ValueError):
        is_tty = False
    if not is_tty:
        return PIPE_WIDTH
    columns = shutil.get_terminal_size((PIPE_WIDTH, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, columns))


class Style:
    """ANSI SGR styling, or none; applied after wrapping so widths count visible characters only."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and text else text

    def number(self, text: str) -> str:
        return self._sgr("1;36", text)  # bold cyan: the [n] a person refers back to

    def source(self, text: str) -> str:
        return self._sgr("2", text)  # dim: the credit line, present but quiet

    def link(self, text: str) -> str:
        return self._sgr("4;34", text)  # underlined blue, like a link

    def notice(self, text: str) -> str:
        return self._sgr("33", text)  # yellow: no answer, or a question we cannot read

    def question(self, text: str) -> str:
        return self._sgr("1", text)


PLAIN = Style(colour=False)


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,  # a URL or a long word overflows rather than being cut in two
        break_on_hyphens=False,
    ) or [first.rstrip()]


def format_answer(answer: Answer, width: int = PIPE_WIDTH, style: Style = PLAIN) -> str:
    """An answer for a terminal: each passage numbered [n] (every passage, whatever its paragraphs),
    wrapped to `width`, with its source (title · authors · site) and link wrapped beneath."""
    lines = [style.question(line) for line in _wrap(f"Q: {answer.question}", width, "", "   ")]
    if not answer.answered:
        sentence = answer.no_answer or NO_ANSWER_TEXT
        lines.extend(style.notice(line) for line in _wrap(sentence, width, "", ""))
        for example in answer.examples:
            lines.extend(_wrap(example, width, "  - ", "    "))
        return "\n".join(lines)
    for n, hit in enumerate(answer.hits, 1):
        lines.append("")
        label = f"[{n}]".ljust(len(INDENT) - 1) + " "
        paragraphs = [p for p in hit.text.split("\n") if p.strip()] or [""]
        for i, paragraph in enumerate(paragraphs):
            wrapped = _wrap(paragraph, width, label if i == 0 else INDENT, INDENT)
            if i == 0:
                wrapped[0] = style.number(wrapped[0][: len(label)]) + wrapped[0][len(label) :]
            lines.extend(wrapped)
        credit = " · ".join(x for x in (hit.title, ", ".join(hit.authors), hit.site or "") if x)
        lines.extend(style.source(line) for line in _wrap(f"— {credit}", width, INDENT, INDENT + "  "))
        if hit.url:
            # A link is never broken (it would stop being one); it starts at the margin when
            # indenting it would push it past the width.
            indent = INDENT + "  " if len(INDENT) + 2 + len(hit.url) <= width else ""
            lines.append(indent + style.link(hit.url))
    return "\n".join(lines)


def format_for(stream: TextIO) -> Callable[[Answer], str]:
    """format_answer with the width and colour that suit `stream`."""
    width, style = output_width(stream), Style(use_colour(stream))
    return lambda answer: format_answer(answer, width, style)


def history_file() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "careerbot" / "history"


def _line_editor(stdin: TextIO, stdout: TextIO) -> Callable[[str], str] | None:
    """input() with readline on a real terminal (stdin and stdout both the process's tty), else None."""
    import sys

    if stdin is not sys.stdin or stdout is not sys.stdout:
        return None
    try:
        if not (stdin.isatty() and stdout.isatty()):
            return None
    except ValueError:
        return None
    try:
        import readline
    except ImportError:  # Python built without readline: plain input() still reads a line
        return input
    path = history_file()
    with contextlib.suppress(OSError):  # no history yet, or an unreadable one: start empty
        readline.read_history_file(path)
    readline.set_history_length(HISTORY_LENGTH)

    def save_history() -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)
        except OSError:
            pass  # a read-only home costs the history, not the chat

    import atexit

    atexit.register(save_history)
    return input


def run_chat(engine: Engine, stdin: TextIO, stdout: TextIO, top_k: int = 3) -> int:
    """The local chat: read a question per line, answer like the bot. Ends on EOF or 'quit'."""
    render = format_for(stdout)
    style = Style(use_colour(stdout))
    print(
        f"careerbot local chat: {len(engine.documents)} documents, {len(engine.passages)} passages. "
        "Ask a career question; 'quit' or Ctrl-D ends.",
        file=stdout,
    )
    editor = _line_editor(stdin, stdout)
    try:
        interactive = stdin.isatty()
    except ValueError:
        interactive = False
    # readline needs \001...\002 around invisible characters to measure the prompt correctly.
    prompt = "\001\x1b[1;32m\002you>\001\x1b[0m\002 " if style.colour and editor else "you> "
    while True:
        if editor is not None:
            try:
                line = editor(prompt)
            except EOFError:
                print(file=stdout)
                break
        else:
            if interactive:
                print("you> ", end="", file=stdout, flush=True)
            line = stdin.readline()
            if not line:
                break
        question = line.strip()
        if question.lower() in QUIT_WORDS:
            break
        if not question:
            continue
        try:
            print(render(engine.ask(question, top_k=top_k)) + "\n", file=stdout, flush=True)
        except QuestionError as exc:
            print(style.notice(f"careerbot: {exc}") + "\n", file=stdout, flush=True)
    return 0
