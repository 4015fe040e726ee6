"""A mock Slack Web API of our own: a local HTTP server that records every call.

It answers the methods careerbot uses, can fail the next calls of a method with 429
(Retry-After) or 500, and serves response_url endpoints at /response/<name>.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT_USER = "UBOT"
TEAM = "T0001"


@dataclass
class Call:
    method: str  # "chat.postMessage", or "response:<name>" for a response_url
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Failure:
    status: int
    retry_after: int | None = None
    error: str | None = None


@dataclass
class MockSlack:
    """Start with `with MockSlack() as slack:`; point SLACK_API_URL at slack.api_url."""

    channels: dict[str, str] = field(default_factory=dict)  # id -> name, for conversations.info
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # id -> members, usergroups.users.list
    calls: list[Call] = field(default_factory=list)
    delay: float = 0.0  # seconds before answering (a slow Web API)
    _failures: dict[str, list[Failure]] = field(default_factory=dict)
    _ts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> MockSlack:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                    for key in ("blocks", "view"):
                        if isinstance(body.get(key), str):
                            body[key] = json.loads(body[key])
                path = urllib.parse.urlparse(self.path).path
                method = (
                    path.rsplit("/", 1)[-1]
                    if path.startswith("/api/")
                    else "response:" + path.rsplit("/", 1)[-1]
                )
                status, payload, headers = mock._answer(method, body, dict(self.headers))
                if mock.delay:
                    time.sleep(mock.delay)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base_url}/response/{name}"

    def fail_next(self, method: str, status: int, count: int = 1, retry_after: int | None = None) -> None:
        """The next `count` calls of `method` answer `status` (429 carries Retry-After)."""
        with self._lock:
            self._failures.setdefault(method, []).extend([Failure(status, retry_after)] * count)

    def fail_with(self, method: str, error: str, count: int = 1) -> None:
        """The next calls answer 200 {"ok": false, "error": error}."""
        with self._lock:
            self._failures.setdefault(method, []).extend([Failure(200, error=error)] * count)

    def _answer(self, method: str, body: dict, headers: dict) -> tuple[int, dict, dict]:
        with self._lock:
            self.calls.append(Call(method, body, headers))
            pending = self._failures.get(method)
            if pending:
                failure = pending.pop(0)
                if failure.error:
                    return 200, {"ok": False, "error": failure.error}, {}
                extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return (
                    failure.status,
                    {"ok": False, "error": "ratelimited" if failure.status == 429 else "fatal_error"},
                    extra,
                )
            self._ts += 1
            ts = f"1700000000.{self._ts:06d}"
        if method == "auth.test":
            return (
                200,
                {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": TEAM, "user": "careerbot"},
                {},
            )
        if method in ("chat.postMessage", "chat.postEphemeral"):
            return 200, {"ok": True, "channel": body.get("channel"), "ts": ts, "message": {"ts": ts}}, {}
        if method == "chat.update":
            return 200, {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}, {}
        if method == "conversations.info":
            channel = body.get("channel", "")
            if channel not in self.channels:
                return 200, {"ok": False, "error": "channel_not_found"}, {}
            return 200, {"ok": True, "channel": {"id": channel, "name": self.channels[channel]}}, {}
        if method == "usergroups.users.list":
            group = body.get("usergroup", "")
            if group not in self.usergroups:
                return 200, {"ok": False, "error": "no_such_subteam"}, {}
            return 200, {"ok": True, "users": list(self.usergroups[group])}, {}
        if method == "apps.connections.open":
            return 200, {"ok": True, "url": getattr(self, "socket_url", "ws://127.0.0.1:9/")}, {}
        return 200, {"ok": True}, {}

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until no call has arrived for `quiet` seconds: what a test needs before it
        asserts that something was NOT sent (there is no event to poll for)."""
        deadline = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < deadline:
            with self._lock:
                now_seen = len(self.calls)
            if now_seen == seen:
                return
            seen = now_seen
            time.sleep(quiet)

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Poll until at least `count` calls of `method` arrived (or time out and return them)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        return self.calls_to(method)
