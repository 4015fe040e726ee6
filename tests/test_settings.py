"""Settings: one clear line per bad value, and every setting documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in text]
    assert missing == []


def test_malformed_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(SettingsError, match=r"^PORT is invalid"):
        load_settings()
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(SettingsError, match=r"^DATABASE_URL is invalid: .*postgresql://"):
        load_settings()


def test_missing_values_name_the_variable() -> None:
    settings = load_settings()
    assert not settings.has_slack and not settings.has_discord
    with pytest.raises(SettingsError, match=r"^SLACK_BOT_TOKEN is not set"):
        settings.require_slack_http()
    with pytest.raises(SettingsError, match=r"^DISCORD_PUBLIC_KEY is not set"):
        settings.require_discord()


def test_values_from_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nSLACK_API_URL=http://127.0.0.1:9/api\n")
    monkeypatch.setenv("CAREERBOT_ONBOARDING_CHANNELS", "C123, #welcome ,")
    settings = load_settings()
    assert settings.slack_bot_token == "xoxb-from-dotenv"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.onboarding_channels == frozenset({"C123", "welcome"})
