"""Real HTTP for the tests: a small client, and a Flask app served on an ephemeral port."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.parse
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


def http_post_chunked(url: str, headers: dict[str, str], chunk: bytes, chunks: int) -> Response:
    """POST a body with Transfer-Encoding: chunked (no Content-Length), `chunks` times `chunk`.

    The body is sent from a thread while the response is read here, so a server that answers
    before reading everything (413) is heard instead of deadlocking on full socket buffers.
    """
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Transfer-Encoding: chunked"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())

    def send() -> None:
        try:
            for _ in range(chunks):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server stopped reading and closed: expected after a 413
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        reader = sock.makefile("rb")
        status = int(reader.readline().split()[1])
        length = 0
        while (line := reader.readline().strip()) != b"":
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return Response(status, reader.read(length))
    finally:
        sock.close()
        sender.join(timeout=30)


def http_post_raw(url: str, headers: list[tuple[str, str]], body: bytes) -> Response:
    """POST exactly these header lines (repeats and non-ASCII values allowed) and bytes."""
    import http.client

    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest("POST", parts.path)
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            conn.putheader(name, value.encode("utf-8"))
        conn.endheaders(body)
        resp = conn.getresponse()
        return Response(resp.status, resp.read())
    finally:
        conn.close()
