"""Fixtures: an Ed25519 key pair, the web app with Discord settings only, signed posts over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from nacl.signing import SigningKey
from werkzeug.serving import BaseWSGIServer, make_server

from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.discord.mock_discord import MockDiscord
from tests.discord.payloads import APP_ID
from tests.slack.conftest import Response, http_post

BOT_TOKEN = "bot-token-secret"


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.from_corpus()


@pytest.fixture
def discord_api() -> Iterator[MockDiscord]:
    with MockDiscord() as mock:
        yield mock


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "d.db")
    yield s
    s.close()


def make_settings(
    signing_key: SigningKey, discord_api: MockDiscord, tmp_path: Path, **extra: object
) -> Settings:
    """Discord settings only (no Slack), pointed at the mock REST API."""
    return Settings(
        _env_file=None,
        discord_public_key=signing_key.verify_key.encode().hex(),
        discord_application_id=APP_ID,
        discord_bot_token=BOT_TOKEN,
        discord_api_url=discord_api.api_url,
        careerbot_db=tmp_path / "d.db",
        **extra,
    )


@dataclass
class Client:
    """Posts interactions signed like Discord does: Ed25519 over timestamp + raw body."""

    url: str
    key: SigningKey

    def post(
        self,
        payload: dict | str,
        *,
        timestamp: int | None = None,
        key: SigningKey | None = None,
        tamper: bool = False,
    ) -> Response:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = (key or self.key).sign(ts.encode() + body.encode()).signature.hex()
        if tamper:  # one byte changed after signing
            body = body.replace("question", "questioN", 1) if "question" in body else body + " "
        headers = {
            "X-Signature-Ed25519": signature,
            "X-Signature-Timestamp": ts,
            "Content-Type": "application/json",
        }
        return http_post(self.url + "/discord/interactions", body, headers)


def serve(app: Flask) -> tuple[str, BaseWSGIServer]:
    """Serve a WSGI app over real HTTP on an ephemeral port, in a thread."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return f"http://127.0.0.1:{http.server_port}", http


@pytest.fixture
def client(
    signing_key: SigningKey, discord_api: MockDiscord, engine: Engine, store: SQLiteStore, tmp_path: Path
) -> Iterator[Client]:
    url, http = serve(create_web_app(make_settings(signing_key, discord_api, tmp_path), engine, store))
    yield Client(url, signing_key)
    http.shutdown()
