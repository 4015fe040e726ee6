"""What both webhook routes do before anything else: bound the body, refuse in one log line.

Slack and Discord post to us over the open internet, so a request is hostile until its
signature says otherwise. `read_body()` reads at most CAREERBOT_MAX_BODY_BYTES, whatever the
transfer encoding (a chunked body has no Content-Length to check up front), before any
parsing or verification; `refuse()` answers with a small JSON error and logs one bounded
line that names the route, the client and the reason, never the body, with every control
character from the request escaped (a newline in a header must not forge a log record).
"""

from __future__ import annotations

import logging

from flask import Request, Response, jsonify

logger = logging.getLogger("careerbot.requests")

MAX_LOGGED_CHARS = 120  # of any one value taken from a request
READ_CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The body is over the limit (or claims to be); nothing beyond the limit was read."""


def safe(value: object, limit: int = MAX_LOGGED_CHARS) -> str:
    """`value` as one short printable line: control characters escaped, cut at `limit`."""
    text = str(value)
    cut = len(text) > limit
    text = text[:limit]
    escaped = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return escaped + ("…" if cut else "")


def read_body(request: Request, limit: int) -> bytes:
    """The raw body, read once and cached for later readers (Bolt's adapter reads it again).

    Raises BodyTooLarge when Content-Length says more than `limit`, or as soon as a body without
    one (chunked) goes past it: no more than limit + 1 bytes are ever read.
    """
    length = request.content_length
    if length is not None and length > limit:
        raise BodyTooLarge()
    stream = request.stream  # bounded by Content-Length, or the server's de-chunked input
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        part = stream.read(min(READ_CHUNK, limit + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        raise BodyTooLarge()
    body = b"".join(parts)
    request._cached_data = body  # what request.get_data() returns from now on
    return body


def refuse(request: Request, status: int, error: str, reason: str | None = None) -> tuple[Response, int]:
    """A JSON error response, and one bounded log line about it (no body)."""
    length = request.content_length
    size = f"{length} bytes" if length is not None else "no Content-Length"
    logger.warning(
        "refused %s %s from %s: %d %s (%s)",
        request.method,
        safe(request.path),
        safe(request.remote_addr or "?"),
        status,
        safe(reason or error, 200),
        size,
    )
    return jsonify(error=error), status
