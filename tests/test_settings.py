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
        load_settings().require_web()  # only the web process needs PORT
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


ENV_EXAMPLE = README.parent / ".env.example"


def _env_example() -> dict[str, str]:
    """NAME -> value of every `# NAME=value` line of .env.example."""
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        body = line.removeprefix("# ")
        name, sep, value = body.partition("=")
        if sep and name.isupper() and " " not in name:
            pairs[name] = value
    return pairs


def test_env_example_lists_every_setting_with_its_default() -> None:
    listed = _env_example()
    assert list(listed) == [name.upper() for name in Settings.model_fields]
    for name, field in Settings.model_fields.items():
        default = field.default
        # CAREERBOT_CORPUS defaults to a path inside the installed package: explained, left empty.
        if name == "careerbot_corpus" or default is None:
            expected = ""
        elif isinstance(default, bool):
            expected = str(default).lower()
        else:
            expected = str(default)
        assert listed[name.upper()] == expected, name
        assert f"# {field.description}" in ENV_EXAMPLE.read_text(encoding="utf-8"), name


def test_env_example_uncommented_gives_the_defaults(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "".join(f"{name}={value}\n" for name, value in _env_example().items() if value), encoding="utf-8"
    )
    assert load_settings() == Settings()


def test_log_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (load_settings().log_level, load_settings().log_format) == ("INFO", "text")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert (load_settings().log_level, load_settings().log_format) == ("DEBUG", "json")
    monkeypatch.setenv("LOG_LEVEL", "verbose")
    with pytest.raises(SettingsError, match=r"^LOG_LEVEL is invalid: .*'DEBUG'"):
        load_settings()
    monkeypatch.setenv("LOG_LEVEL", "info")
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match=r"^LOG_FORMAT is invalid: .*'text' or 'json'"):
        load_settings()


QUESTIONS = README.parent / "tests" / "data" / "questions.json"


@pytest.mark.parametrize(
    ("name", "value"), [("PORT", "notaport"), ("CAREERBOT_THREADS", "many"), ("WEB_CONCURRENCY", "0")]
)
def test_chat_and_eval_run_with_a_bad_web_setting(tmp_path: Path, name: str, value: str) -> None:
    """`chat` and `eval` never bind a port nor start workers: a bad web-only value is not their problem."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "CAREERBOT_"))}
    env.update({name: value, "CAREERBOT_DB": str(tmp_path / "s.db")})

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=env,
            cwd=tmp_path,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    chat = run("chat", stdin="what does an ML engineer do?\nquit\n")
    assert chat.returncode == 0, chat.stderr
    assert "Q: what does an ML engineer do?" in chat.stdout and "[1]" in chat.stdout
    assert "is invalid" not in chat.stdout + chat.stderr
    evaluated = run("eval", str(QUESTIONS))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "hit@1" in evaluated.stdout and "is invalid" not in evaluated.stdout + evaluated.stderr


def test_a_bad_port_or_thread_count_breaks_only_the_web_process(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    for name, value in (("PORT", "eighty"), ("CAREERBOT_THREADS", "many"), ("WEB_CONCURRENCY", "0")):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "CAREERBOT_"))}
        env.update({name: value, "CAREERBOT_DB": str(tmp_path / "s.db")})
        asked = subprocess.run(
            [sys.executable, "-m", "bot", "ask", "what does an ML engineer do?"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert asked.returncode == 0 and asked.stdout.startswith("Q: "), asked.stderr
        env.update({"DISCORD_PUBLIC_KEY": "ab" * 32, "DISCORD_APPLICATION_ID": "123"})
        served = subprocess.run(
            [sys.executable, "-m", "bot", "serve", "--http"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert served.returncode == 2
        assert served.stderr.strip().splitlines() == [served.stderr.strip()]
        assert served.stderr.startswith(f"careerbot: error: {name} is invalid")
