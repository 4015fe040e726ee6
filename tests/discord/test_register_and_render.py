"""Command registration through the REST mock, and the pure rendering limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bot.cli import main
from bot.discord import render
from bot.discord.commands import COMMANDS
from bot.discord.register import register_commands
from bot.discord.verify import verify_request
from retrieval import Answer, Hit
from tests.discord.conftest import APP_ID, make_settings
from tests.discord.mock_discord import MockDiscord

NAME = re.compile(r"^[-_\w]{1,32}$")


def test_register_puts_the_command_set(discord_api: MockDiscord, tmp_path: Path, capsys) -> None:
    settings = make_settings(SigningKey.generate(), discord_api, tmp_path)
    discord_api.rate_limit_next(retry_after=0.1, is_global=False)
    assert register_commands(settings) == 0
    puts = discord_api.wait_for("PUT", count=2)
    assert len(puts) == 2  # a 429 honoured, then the real call
    put = puts[-1]
    assert put.path == f"/api/v10/applications/{APP_ID}/commands"
    assert put.headers["Authorization"] == "Bot bot-token-secret"
    assert [c["name"] for c in put.body] == ["mle-vs-swe", "career"]
    for command in put.body:
        assert NAME.match(command["name"]) and command["name"] == command["name"].lower()
        assert 1 <= len(command["description"]) <= 100
        assert command["contexts"] == [0, 1, 2] and command["integration_types"] == [0, 1]
        for option in command["options"]:
            assert NAME.match(option["name"]) and 1 <= len(option["description"]) <= 100
    assert [o["required"] for c in put.body for o in c["options"]] == [False, True]
    assert "bot-token-secret" not in capsys.readouterr().out

    assert register_commands(settings, guild_id="42") == 0
    assert (
        discord_api.wait_for("PUT", count=3)[-1].path == f"/api/v10/applications/{APP_ID}/guilds/42/commands"
    )


def test_register_without_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    for name in ("DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN", "DISCORD_PUBLIC_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["discord", "register"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "careerbot: error: DISCORD_APPLICATION_ID is not set: Discord application ID."
    )
    assert main(["discord", "register", "--if-configured"]) == 0


def test_commands_within_discord_rules() -> None:
    assert len({c["name"] for c in COMMANDS}) == len(COMMANDS)


def long_hit(n: int) -> Hit:
    return Hit(
        passage_id=f"d#{n}",
        doc_id="d",
        text=("word " * 2000).strip() + " @everyone",
        score=1.0,
        title="T" * 300,
        url="https://x.test",
        authors=("A " * 1200,),
        site="S",
    )


def test_render_respects_discord_limits() -> None:
    answer = Answer(question="q " * 1500, answered=True, hits=tuple(long_hit(n) for n in range(12)))
    message = render.answer_message(answer)
    assert len(message["content"]) <= render.CONTENT_LIMIT
    assert len(message["embeds"]) <= render.EMBEDS_LIMIT
    total = 0
    for embed in message["embeds"]:
        assert (
            len(embed["title"]) <= render.TITLE_LIMIT
            and len(embed["description"]) <= render.DESCRIPTION_LIMIT
        )
        assert len(embed["footer"]["text"]) <= render.FOOTER_LIMIT
        assert embed["description"].endswith("…")  # cut at a word boundary
        assert not embed["description"][:-1].endswith(" wor")
        total += len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
    assert total <= render.TOTAL_LIMIT
    assert message["allowed_mentions"] == {"parse": []}


def test_question_round_trips_through_the_message() -> None:
    question = "What do *ML* engineers do with `code` | pipes @everyone?"
    line = render.question_line(question)
    assert "@everyone" not in line
    assert render.unescape_question(line) == question


def test_verify_request_edge_cases() -> None:
    key = SigningKey.generate()
    public = key.verify_key.encode().hex()
    sig = key.sign(b"100" + b"body").signature.hex()
    assert verify_request(public, sig, "100", b"body", now=100)
    assert not verify_request(public, sig, "100", b"body!", now=100)
    assert not verify_request(public, sig, "100", b"body", now=500)
    assert not verify_request(public, None, "100", b"body", now=100)
    assert not verify_request(public, sig[:-2], "100", b"body", now=100)
    assert not verify_request("not-hex", sig, "100", b"body", now=100)
