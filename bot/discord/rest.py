"""A small Discord REST client: bot-token auth, 429 handling (retry_after, global), bounded."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
MAX_WAIT_SECONDS = 10.0
TIMEOUT_SECONDS = 10.0
USER_AGENT = "DiscordBot (https://github.com/careerbot, 0.1)"


class DiscordAPIError(Exception):
    """A REST call failed for good; str() says which call and why (never the token)."""


class DiscordREST:
    def __init__(self, base_url: str, bot_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = bot_token

    def request(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        """JSON in, JSON out; waits out 429s (retry_after, global or per-route) a bounded number of times."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if auth and self._token:
            headers["Authorization"] = f"Bot {self._token}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:
                    raw = resp.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                payload = _json(exc.read())
                if exc.code == 429 and attempt < MAX_ATTEMPTS:
                    wait = min(float(payload.get("retry_after", 1.0)), MAX_WAIT_SECONDS)
                    scope = "global" if payload.get("global") else "route"
                    logger.warning(
                        "Discord %s %s: rate limited (%s), retrying in %.2f s", method, path, scope, wait
                    )
                    time.sleep(wait)
                    continue
                if exc.code >= 500 and attempt < MAX_ATTEMPTS:
                    time.sleep(0.5 * attempt)
                    continue
                raise DiscordAPIError(
                    f"{method} {path}: HTTP {exc.code} {payload.get('message', '')}".strip()
                ) from None
            except (urllib.error.URLError, OSError) as exc:
                if attempt < MAX_ATTEMPTS:
                    time.sleep(0.5 * attempt)
                    continue
                raise DiscordAPIError(f"{method} {path}: {getattr(exc, 'reason', exc)}") from None
        raise DiscordAPIError(f"{method} {path}: still rate limited after {MAX_ATTEMPTS} attempts")


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
