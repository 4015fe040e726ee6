"""Fixtures: the real web process (create_web_app, Discord settings only) over HTTP, with a seeded store."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from werkzeug.serving import make_server

from bench.insight import Seeded, seed
from bot.settings import Settings
from bot.store import Store
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine

TOKEN = "insight-token-for-tests-0123"
# Discord settings only: the web process then needs no Slack token and makes no call at start-up.
DISCORD = {"discord_public_key": "00" * 32, "discord_application_id": "123456789012345678"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass
class Web:
    """A running web process and plain HTTP requests to it (no redirects followed)."""

    url: str

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> Reply:
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        body = urlencode(form).encode() if form is not None else None
        all_headers = dict(headers or {})
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = value
        reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text, cookies)
        conn.close()
        return reply

    def get(self, path: str, **headers: str) -> Reply:
        return self.request("GET", path, headers=headers)

    def get_signed_in(self, path: str) -> Reply:
        return self.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.from_corpus()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "insight.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def now() -> datetime:
    return datetime.now(UTC)


def start(settings: Settings, engine: Engine, store: Store) -> tuple[Web, object]:
    app = create_web_app(settings, engine, store)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return Web(f"http://127.0.0.1:{server.server_port}"), server


def web_settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings(_env_file=None, careerbot_db=tmp_path / "unused.db", **DISCORD, **extra)  # type: ignore[arg-type]


@pytest.fixture
def web(tmp_path: Path, engine: Engine, store: SQLiteStore) -> Iterator[Web]:
    client, server = start(web_settings(tmp_path, careerbot_insight_token=TOKEN), engine, store)
    yield client
    server.shutdown()  # type: ignore[attr-defined]


@pytest.fixture
def seeded(store: SQLiteStore, now: datetime) -> Seeded:
    """1,000 questions over the last 30 days (bench.insight's seed)."""
    return seed(store, 1000, now, days=30)
