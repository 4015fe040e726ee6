"""`careerbot discord register`: the bulk-overwrite PUT on the mock REST API, Discord's rules, errors."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bench.common import free_port
from bot.cli import main
from bot.discord import commands
from bot.discord.commands import COMMANDS, problems, valid_name
from bot.discord.register import register_commands
from bot.settings import Settings
from tests.support.discord_client import BOT_TOKEN, make_settings
from tests.support.discord_payloads import APP_ID
from tests.support.mock_discord import MockDiscord


def test_register_puts_the_command_set_after_a_429(
    discord_api: MockDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(SigningKey.generate(), discord_api, tmp_path)
    discord_api.rate_limit_next(retry_after=0.05, is_global=True)
    assert register_commands(settings) == 0
    puts = discord_api.wait_for("PUT", count=2)
    assert len(puts) == 2  # the 429 honoured, then the real call
    put = puts[-1]
    assert put.path == f"/api/v10/applications/{APP_ID}/commands"
    assert put.headers["Authorization"] == f"Bot {BOT_TOKEN}"
    assert put.headers["User-Agent"].startswith("DiscordBot (")
    assert put.body == COMMANDS
    mle, career, ask = put.body
    assert (mle["name"], career["name"]) == ("mle-vs-swe", "career")
    for command in put.body:
        assert command["contexts"] == [0, 1, 2]  # servers, DMs with the bot, other DMs and group DMs
        assert command["integration_types"] == [0, 1]  # installed to servers and to users
        assert "dm_permission" not in command  # deprecated in favour of contexts
    for command in (mle, career):
        assert command["type"] == 1
        [option] = command["options"]
        assert option["name"] == "question" and option["type"] == 3 and option["max_length"] == 1000
        assert option["autocomplete"] is True and "choices" not in option
    assert mle["options"][0]["required"] is False and career["options"][0]["required"] is True
    # The message command: type 3, a menu name, and neither description nor options.
    assert ask == {"name": "Ask careerbot", "type": 3, "contexts": [0, 1, 2], "integration_types": [0, 1]}
    out, err = capsys.readouterr()
    assert out == (
        "registered 3 Discord commands globally (servers and DMs): /mle-vs-swe, /career, "
        "'Ask careerbot' (message menu)\n"
    )
    assert BOT_TOKEN not in out + err

    assert register_commands(settings, guild_id="42") == 0
    assert (
        discord_api.wait_for("PUT", count=3)[-1].path == f"/api/v10/applications/{APP_ID}/guilds/42/commands"
    )
    assert "in server 42" in capsys.readouterr().out


def test_register_through_the_cli(
    discord_api: MockDiscord,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("DISCORD_APPLICATION_ID", APP_ID)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("DISCORD_API_URL", discord_api.api_url)
    assert main(["discord", "register", "--guild", "7"]) == 0
    assert discord_api.requests[-1].path == f"/api/v10/applications/{APP_ID}/guilds/7/commands"
    assert main(["discord", "register", "--guild", "general"]) == 2
    assert capsys.readouterr().err.strip() == (
        "careerbot: error: --guild must be a server ID (digits), not 'general'"
    )


def test_register_without_settings_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN", "DISCORD_PUBLIC_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["discord", "register"]) == 2
    assert (
        capsys.readouterr().err
        == "careerbot: error: DISCORD_APPLICATION_ID is not set: Discord application ID.\n"
    )
    assert register_commands(Settings(_env_file=None, discord_application_id=APP_ID)) == 2
    assert capsys.readouterr().err.startswith("careerbot: error: DISCORD_BOT_TOKEN is not set")
    assert main(["discord", "register", "--if-configured"]) == 0  # the Procfile's release line


def test_register_refused_by_discord_is_one_line_and_exit_2(
    discord_api: MockDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    discord_api.fail("PUT", "/commands", 401, {"message": "401: Unauthorized", "code": 0})
    assert register_commands(make_settings(SigningKey.generate(), discord_api, tmp_path)) == 2
    err = capsys.readouterr().err
    assert err == (
        f"careerbot: error: registering Discord commands failed: PUT /applications/{APP_ID}/commands: "
        "HTTP 401 401: Unauthorized\n"
    )
    assert discord_api.requests[-1].method == "PUT"  # the call was made (and refused) over HTTP


def test_register_with_discord_unreachable_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """The Procfile's release line as a real process, with nothing listening at DISCORD_API_URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "CAREERBOT_"))}
    env.update(
        {
            "DISCORD_APPLICATION_ID": APP_ID,
            "DISCORD_BOT_TOKEN": BOT_TOKEN,
            "DISCORD_API_URL": f"http://127.0.0.1:{free_port()}/api/v10",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "discord", "register"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.count("\n") == 1, result.stderr[-2000:]
    assert result.stderr.startswith(
        f"careerbot: error: registering Discord commands failed: PUT /applications/{APP_ID}/commands: "
    )
    assert BOT_TOKEN not in result.stderr + result.stdout and result.stdout == ""


# The documented Application Command Structure (discord-api-docs, application-commands.mdx):
# fields we may send, by command type; anything else is a mistake on our side.
DOCUMENTED = {
    "name",
    "type",
    "description",
    "options",
    "default_member_permissions",
    "nsfw",
    "integration_types",
    "contexts",
    "name_localizations",
    "description_localizations",
}
OPTION_FIELDS = {
    "type",
    "name",
    "description",
    "required",
    "choices",
    "min_length",
    "max_length",
    "autocomplete",
    "name_localizations",
    "description_localizations",
}


def test_the_command_set_keeps_discords_rules() -> None:
    assert problems(COMMANDS) == []
    for command in COMMANDS:
        assert set(command) <= DOCUMENTED, set(command) - DOCUMENTED
        if command["type"] == 3:  # MESSAGE: no description, no options
            assert "description" not in command and "options" not in command
            assert 1 <= len(command["name"]) <= 32
            continue
        assert valid_name(command["name"]) and 1 <= len(command["description"]) <= 100
        for option in command["options"]:
            assert set(option) <= OPTION_FIELDS
            assert valid_name(option["name"]) and 1 <= len(option["description"]) <= 100


def test_rule_checks_cover_contexts_and_message_commands() -> None:
    ask = next(c for c in COMMANDS if c["type"] == 3)
    found = problems(
        [
            {**ask, "description": "Ask about this message"},
            {**ask, "name": "Ask careerbot", "options": [{"name": "x"}]},
            {**ask, "name": "x" * 33, "dm_permission": True},
            {**ask, "name": "other", "integration_types": [2], "contexts": [3]},
            *({**ask, "name": f"m{n}"} for n in range(3)),
            {
                **COMMANDS[1],
                "options": [{**COMMANDS[1]["options"][0], "choices": [{"name": "a", "value": "a"}]}],
            },
        ]
    )
    assert "message command 'Ask careerbot': message commands take no description" in found
    assert "message command 'Ask careerbot': message commands take no options" in found
    assert "command names must be unique (per command type)" in found
    assert f"message command {'x' * 33!r}: name must be 1-32 characters" in found
    assert f"{'x' * 33!r}: dm_permission is deprecated; use contexts" in found
    assert "'other': integration_types must be 0 (server) and/or 1 (user)" in found
    assert "'other': contexts must be among 0 (server), 1 (bot DM), 2 (private channel)" in found
    assert "at most 5 global message commands" in found
    assert "/career question: autocomplete options may not have choices" in found
    # Chat-input and message commands may share a name (they live in different menus).
    assert problems([COMMANDS[1], {**ask, "name": "career"}]) == []


def test_rule_checks_catch_what_discord_would_refuse(
    discord_api: MockDiscord,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert valid_name("mle-vs-swe") and valid_name("karriere_ü") and valid_name("職業")
    for bad in ("", "Career", "career question", "x" * 33, "career!", None):
        assert not valid_name(bad)
    broken = copy.deepcopy(COMMANDS)
    broken[0]["name"] = "MLE"
    broken[1]["description"] = "d" * 101
    broken[1]["options"][0]["description"] = ""
    broken.append(copy.deepcopy(COMMANDS[1]))
    broken[1]["options"].append({**broken[1]["options"][0], "name": "more", "required": False})
    broken[1]["options"].append({**broken[1]["options"][0], "name": "late", "required": True})
    found = problems(broken)
    assert "command names must be unique (per command type)" in found
    assert any(p.startswith("/MLE: name must match") for p in found)
    assert "/career: description must be 1-100 characters" in found
    assert any(p.startswith("/career question: description") for p in found)
    assert "/career: required options must come before optional ones" in found
    monkeypatch.setattr(commands, "COMMANDS", broken)
    monkeypatch.setattr("bot.discord.register.COMMANDS", broken)
    assert register_commands(make_settings(SigningKey.generate(), discord_api, tmp_path)) == 2
    assert discord_api.requests == []  # nothing sent
    assert "breaks Discord's rules" in capsys.readouterr().err
