"""A mock of Discord's REST API on an ephemeral port: records every request, and can answer
429 (with retry_after and the global flag) or any error status a given number of times."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT_USER = {"id": "42", "username": "careerbot", "discriminator": "0", "avatar": None, "bot": True}


@dataclass
class Request:
    method: str
    path: str
    body: Any
    headers: dict[str, str]


@dataclass
class _Failure:
    method: str
    path_contains: str
    status: int
    payload: dict
    times: int
    headers: dict[str, str]


@dataclass
class MockDiscord:
    requests: list[Request] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _holds: list[tuple[str, str, threading.Event]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._arrived = threading.Condition(self._lock)

    def __enter__(self) -> MockDiscord:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                body = json.loads(raw) if raw else None
                status, payload, extra_headers = mock._answer(
                    self.command, self.path, body, dict(self.headers)
                )
                for method, path_contains, release in list(mock._holds):
                    if method == self.command and path_contains in self.path:
                        release.wait(60)  # recorded already: the test sees it arrive, then releases it
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def api_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/v10"

    def rate_limit_next(
        self, retry_after: float = 0.2, is_global: bool = True, method: str = "", times: int = 1
    ) -> None:
        """The next `times` requests (of `method`, if given) get 429 with retry_after and global."""
        payload = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        self.fail(method, "", 429, payload, times)

    def hold(self, method: str, path_contains: str) -> threading.Event:
        """Matching requests are recorded but not answered until the returned event is set
        (a slow Discord, for as long as the test needs)."""
        release = threading.Event()
        with self._lock:
            self._holds.append((method, path_contains, release))
        return release

    def fail(
        self,
        method: str,
        path_contains: str,
        status: int,
        payload: dict | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` matching requests get `status` (method "" and path "" match any)."""
        with self._lock:
            self._failures.append(
                _Failure(
                    method,
                    path_contains,
                    status,
                    payload or {"message": f"HTTP {status}"},
                    times,
                    headers or {},
                )
            )

    def _answer(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any, dict]:
        with self._arrived:
            self.requests.append(Request(method, path, body, headers))
            self._arrived.notify_all()
            for failure in self._failures:
                if failure.times > 0 and failure.method in ("", method) and failure.path_contains in path:
                    failure.times -= 1
                    return failure.status, failure.payload, failure.headers
        return (*self._success(method, path, body), {})

    def _success(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "PUT" and path.endswith("/commands"):
            return 200, [{"id": str(n), "application_id": "1", **command} for n, command in enumerate(body)]
        if method == "GET" and path.endswith("/users/@me"):
            return 200, BOT_USER
        if method == "GET" and path.endswith("/oauth2/applications/@me"):
            return 200, {
                "id": "123456789012345678",
                "name": "careerbot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": {"id": "5", "username": "owner", "discriminator": "0", "avatar": None},
                "verify_key": "00" * 32,
                "flags": 0,
                "interactions_endpoint_url": None,
            }
        if method == "POST" and path.endswith("/users/@me/channels"):  # open a DM
            recipient = {
                "id": str(body["recipient_id"]),
                "username": "ann",
                "discriminator": "0",
                "avatar": None,
            }
            return 200, {"id": "77", "type": 1, "recipients": [recipient]}
        if method == "POST" and "/channels/" in path and path.endswith("/messages"):
            channel = path.split("/channels/")[1].split("/")[0]
            return 200, {
                "id": "900",
                "channel_id": channel,
                "author": BOT_USER,
                "content": (body or {}).get("content") or "",
                "timestamp": "2026-11-22T00:00:00+00:00",
                "edited_timestamp": None,
                "tts": False,
                "mention_everyone": False,
                "mentions": [],
                "mention_roles": [],
                "attachments": [],
                "embeds": (body or {}).get("embeds") or [],
                "pinned": False,
                "type": 0,
            }
        return 200, {"id": "m1", **(body or {})}

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 10.0, path_contains: str = ""
    ) -> list[Request]:
        """The requests of `method` (and path) once there are `count` of them, or at the timeout."""
        deadline = time.monotonic() + timeout

        def found() -> list[Request]:
            return [r for r in self.requests if r.method == method and path_contains in r.path]

        with self._arrived:
            while len(found()) < count and (left := deadline - time.monotonic()) > 0:
                self._arrived.wait(left)
            return found()
