"""A small Discord REST client: bot-token auth, 429 handling (retry_after, global), bounded.

Discord's rate limits come in two scopes. A per-route 429 pauses that route; a 429 with
`"global": true` (or `X-RateLimit-Global`) pauses every request this client makes, so a
burst of deferred edits from other threads waits too instead of hammering the API. Waits
are bounded: a retry_after longer than MAX_WAIT_SECONDS, or a fourth attempt, is a
DiscordAPIError the caller logs; nothing here loops forever. Once the process is shutting
down (bot/shutdown.py's SHUTTING_DOWN), a wait in progress ends at once and a failed call is
not retried: each acknowledged answer gets its last try, then its log line, inside the grace
period instead of being killed mid-wait.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from bot.errors import DiscordAPIError  # re-exported: in bot/errors.py's family
from bot.shutdown import SHUTTING_DOWN

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
MAX_WAIT_SECONDS = 10.0
TIMEOUT_SECONDS = 10.0
USER_AGENT = "DiscordBot (https://github.com/careerbot, 0.1)"
_WEBHOOK_TOKEN = re.compile(r"(/(?:webhooks|interactions)/[^/]+/)[^/?]+")
_TOKEN = re.compile(r"[A-Za-z0-9_.\-]{1,500}")


class DiscordREST:
    """JSON over urllib; `sleep` and `clock` are injectable so tests need no real waiting."""

    def __init__(
        self,
        base_url: str,
        bot_token: str | None = None,
        *,
        sleep: Callable[[float], object] = SHUTTING_DOWN.wait,  # a sleep that a shutdown cuts short
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = bot_token
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._global_until = 0.0
        self._route_until: dict[str, float] = {}

    def request(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        """JSON in, JSON out; waits out 429s (retry_after, global or per-route) a bounded number of times."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if auth and self._token:
            headers["Authorization"] = f"Bot {self._token}"
        route = f"{method} {redact(path)}"  # for messages; the bucket key keeps the real path
        bucket = f"{method} {path}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._wait_for_limits(bucket)
            last = attempt == MAX_ATTEMPTS or SHUTTING_DOWN.is_set()  # shutting down: no retries
            req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:
                    raw = resp.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                payload = _json(exc.read())
                if exc.code == 429:
                    wait = _retry_after(payload, exc.headers)
                    is_global = bool(payload.get("global")) or exc.headers.get("X-RateLimit-Global") == "true"
                    if last or wait > MAX_WAIT_SECONDS or SHUTTING_DOWN.is_set():
                        raise DiscordAPIError(
                            f"{route}: rate limited ({'global' if is_global else 'route'}, "
                            f"retry_after {wait:.2f} s) after {attempt} attempt(s)"
                            + (" (shutting down: not waited)" if SHUTTING_DOWN.is_set() else ""),
                            status=429,
                        ) from None
                    self._pause(bucket, wait, is_global)
                    logger.warning(
                        "Discord %s: rate limited (%s), retrying in %.2f s",
                        route,
                        "global" if is_global else "route",
                        wait,
                    )
                    continue
                if exc.code >= 500 and not last:
                    self._sleep(0.5 * attempt)
                    continue
                raise DiscordAPIError(
                    f"{route}: HTTP {exc.code} {payload.get('message', '')}".strip(), status=exc.code
                ) from None
            except (urllib.error.URLError, OSError) as exc:
                if not last:
                    self._sleep(0.5 * attempt)
                    continue
                raise DiscordAPIError(f"{route}: {getattr(exc, 'reason', exc)}") from None
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def edit_original(self, application_id: str, token: str, data: dict) -> Any:
        """PATCH the interaction's original response (webhooks are authorised by their token)."""
        return self.request(
            "PATCH", f"/webhooks/{application_id}/{token}/messages/@original", data, auth=False
        )

    def callback(self, interaction_id: str, token: str, data: dict) -> Any:
        """POST the response to an interaction delivered over the gateway (authorised by its token)."""
        if not (interaction_id.isascii() and interaction_id.isdigit()) or not _TOKEN.fullmatch(token):
            raise ValueError("not an interaction id and token")
        return self.request("POST", f"/interactions/{interaction_id}/{token}/callback", data, auth=False)

    def followup(self, application_id: str, token: str, data: dict) -> Any:
        """POST a follow-up message to an interaction (valid for 15 minutes after it)."""
        return self.request("POST", f"/webhooks/{application_id}/{token}", data, auth=False)

    def _pause(self, route: str, seconds: float, is_global: bool) -> None:
        until = self._clock() + seconds
        with self._lock:
            if is_global:
                self._global_until = max(self._global_until, until)
            else:
                self._route_until[route] = max(self._route_until.get(route, 0.0), until)

    def _wait_for_limits(self, route: str) -> None:
        with self._lock:
            until = max(self._global_until, self._route_until.get(route, 0.0))
        remaining = until - self._clock()
        if remaining > 0:
            self._sleep(min(remaining, MAX_WAIT_SECONDS))


def redact(path: str) -> str:
    """The path as logged: an interaction token (in webhook and callback paths) is a secret for 15 minutes."""
    return _WEBHOOK_TOKEN.sub(r"\1***", path)


def _retry_after(payload: dict, headers: Any) -> float:
    """Seconds to wait: the body's retry_after (float), else the Retry-After header, else 1."""
    for value in (payload.get("retry_after"), headers.get("Retry-After") if headers else None):
        try:
            if value is not None:
                return max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return 1.0


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
