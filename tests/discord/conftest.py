"""Fixtures: an Ed25519 key pair, the web app with Discord settings only, signed posts over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.support.discord_client import Client, make_settings
from tests.support.http import serve
from tests.support.mock_discord import MockDiscord


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


@pytest.fixture
def client(
    signing_key: SigningKey, discord_api: MockDiscord, engine: Engine, store: SQLiteStore, tmp_path: Path
) -> Iterator[Client]:
    url, http = serve(create_web_app(make_settings(signing_key, discord_api, tmp_path), engine, store))
    yield Client(url, signing_key)
    http.shutdown()
