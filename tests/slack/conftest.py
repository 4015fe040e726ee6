"""Fixtures: a mock Slack Web API, the real web app on an ephemeral port, signed requests."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.slack.mock_slack import MockSlack
from tests.slack.signing import SECRET


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


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.from_corpus()


@pytest.fixture
def slack() -> Iterator[MockSlack]:
    with MockSlack(channels={"CWELCOME": "welcome", "CGENERAL": "general"}) as mock:
        yield mock


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "careerbot.db")
    yield s
    s.close()


@pytest.fixture
def settings(slack: MockSlack, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        careerbot_db=tmp_path / "careerbot.db",
        careerbot_onboarding_channels="welcome,CONBOARD",
    )


@dataclass
class Server:
    url: str

    def post(self, path: str, body: str, headers: dict[str, str]) -> Response:
        return http_post(self.url + path, body, headers)


@contextmanager
def running(app: Flask) -> Iterator[Server]:
    """Serve a Flask app over real HTTP on an ephemeral port, in a thread."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{http.server_port}")
    finally:
        http.shutdown()
        http.server_close()


@pytest.fixture
def server(settings: Settings, engine: Engine, store: SQLiteStore) -> Iterator[Server]:
    with running(create_web_app(settings, engine, store)) as srv:
        yield srv
