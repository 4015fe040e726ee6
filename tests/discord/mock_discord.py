"""A mock of Discord's REST API: records requests, can answer 429 once with retry_after."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    body: Any
    headers: dict[str, str]


@dataclass
class MockDiscord:
    requests: list[Request] = field(default_factory=list)
    _rate_limits: list[tuple[float, bool]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> MockDiscord:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                body = json.loads(raw) if raw else None
                status, payload = mock._answer(self.command, self.path, body, dict(self.headers))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_PUT = do_PATCH = do_POST = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def api_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/v10"

    def rate_limit_next(self, retry_after: float = 0.2, is_global: bool = True) -> None:
        with self._lock:
            self._rate_limits.append((retry_after, is_global))

    def _answer(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(Request(method, path, body, headers))
            if self._rate_limits:
                retry_after, is_global = self._rate_limits.pop(0)
                return 429, {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": is_global,
                }
        if method == "PUT" and path.endswith("/commands"):
            return 200, [{"id": str(n), **command} for n, command in enumerate(body)]
        return 200, {"id": "m1", **(body or {})}

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Request]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [r for r in self.requests if r.method == method]
            if len(found) >= count:
                return found
            time.sleep(0.01)
        return found
