"""Fixtures: a mock Slack Web API, the real web app on an ephemeral port, signed requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.mock_slack import MockSlack
from bench.slack_signing import SECRET
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.support.http import Server, running


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


@pytest.fixture
def server(settings: Settings, engine: Engine, store: SQLiteStore) -> Iterator[Server]:
    with running(create_web_app(settings, engine, store)) as srv:
        yield srv
