"""Real HTTP for the tests: a small client, and a Flask app served on an ephemeral port."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def http_post(url: str, body: str, headers: dict[str, str]) -> Response:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return Response(resp.status, resp.read())
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read())


def http_get(url: str) -> Response:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return Response(resp.status, resp.read())
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read())


@dataclass
class Server:
    url: str

    def post(self, path: str, body: str, headers: dict[str, str]) -> Response:
        return http_post(self.url + path, body, headers)


def serve(app: Flask) -> tuple[str, BaseWSGIServer]:
    """Serve a WSGI app over real HTTP on an ephemeral port, in a thread; (base URL, server)."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return f"http://127.0.0.1:{http.server_port}", http


@contextmanager
def running(app: Flask) -> Iterator[Server]:
    """`serve()` for the duration of a with block."""
    url, http = serve(app)
    try:
        yield Server(url)
    finally:
        http.shutdown()
        http.server_close()
