"""Logging for every careerbot process: LOG_LEVEL and LOG_FORMAT (text or one JSON object a line).

Every server entry point (gunicorn's app factory, Socket Mode, the Discord gateway) calls
`configure_logging(settings)` once, so all of them honour the same two settings. JSON lines
carry `ts`, `level`, `logger` and `message`, plus `exc` with the traceback when there is one,
and any `extra={...}` fields a caller attached; log aggregators parse them without a pattern.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LogFormat = Literal["text", "json"]

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines in messages are escaped by JSON)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_text:
            entry["exc"] = record.exc_text
        elif record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# Secrets that libraries log at DEBUG (slack_sdk logs every request's URL and headers): bot and
# app tokens, and response URLs / interaction webhooks, which are bearer capabilities.
_SECRETS = (
    (re.compile(r"\b(xox[abeoprs]|xapp)-[A-Za-z0-9-]+"), r"\1-***"),
    (re.compile(r"(https?://hooks\.slack(?:-gov)?\.com/)[^\s'\"<>]+"), r"\1***"),
    (re.compile(r"(/webhooks/[^/\s]+/)[^/?\s'\"]+"), r"\1***"),
    (re.compile(r"((?:Bearer|Bot)\s+)[A-Za-z0-9._-]{8,}"), r"\1***"),
    # slack_sdk's WebhookClient logs "Sending a request - url: <response_url>" (any host).
    (re.compile(r"(Sending a request - url: )\S+?(,|\s|$)"), r"\1***\2"),
    (re.compile(r"""(["']?response_url["']?\s*[:=]\s*["']?)[^"'\s,}&]+"""), r"\1***"),
)
MAX_MESSAGE_CHARS = 4000  # a log line is bounded whatever a request carried
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def redact_secrets(text: str) -> str:
    """`text` with tokens and response/webhook URLs replaced by ***."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def escape_controls(text: str) -> str:
    """Control characters (newlines included) as visible escapes: one record, one line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _safe_traceback(exc_info: Any) -> str:
    """The traceback, with each exception's own message escaped (it may quote request data)."""
    if not exc_info[0]:
        return ""
    te = traceback.TracebackException(exc_info[0], exc_info[1], exc_info[2])
    todo, seen = [te], set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(getattr(current, "_str", None), str):
            current._str = escape_controls(redact_secrets(current._str))  # type: ignore[attr-defined]
        todo += [t for t in (current.__cause__, current.__context__) if t is not None]
    return "".join(te.format()).rstrip("\n")


class SafeRecords(logging.Filter):
    """On our handler, for every logger (ours and the libraries'): secrets redacted, control
    characters escaped, the message bounded; a traceback keeps its lines but not a message's."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is
            message = str(record.msg)
        message = escape_controls(redact_secrets(message))
        if len(message) > MAX_MESSAGE_CHARS:
            message = f"{message[:MAX_MESSAGE_CHARS]}… ({len(message) - MAX_MESSAGE_CHARS} more characters)"
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _safe_traceback(record.exc_info)
        return True


def make_handler(log_format: LogFormat, stream: Any = None) -> logging.Handler:
    """A stderr handler with the chosen format."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(SafeRecords())
    return handler


def configure_logging(level: str = "INFO", log_format: LogFormat = "text", stream: Any = None) -> None:
    """Set the root logger's level and its one handler (replacing any earlier configuration)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(log_format, stream))
    root.setLevel(level)
