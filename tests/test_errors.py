"""One error family: every error careerbot reports is a CareerbotError, laid out in bot/errors.py."""

from __future__ import annotations

import argparse

import pytest

import bot.errors
from bot import cli
from bot.discord.rest import DiscordAPIError
from bot.errors import CareerbotError, PlatformAPIError
from bot.settings import SettingsError
from bot.store import StoreError
from retrieval import CorpusError, IndexFileError, QuestionError

FAMILY = (
    CorpusError,
    QuestionError,
    IndexFileError,
    SettingsError,
    StoreError,
    PlatformAPIError,
    DiscordAPIError,
)


def test_every_error_is_a_careerbot_error_and_the_docstring_lays_them_all_out() -> None:
    assert all(issubclass(error, CareerbotError) for error in FAMILY)
    assert issubclass(DiscordAPIError, PlatformAPIError)
    doc = bot.errors.__doc__ or ""
    assert all(f" {error.__name__} " in doc for error in (CareerbotError, *FAMILY))
    assert DiscordAPIError("GET /x: HTTP 500", status=500).status == 500


@pytest.mark.parametrize(
    "error",
    [
        SettingsError("PORT is invalid"),
        StoreError("DATABASE_URL x: refused"),
        DiscordAPIError("PUT /c: HTTP 401"),
    ],
)
def test_the_cli_prints_any_of_them_as_one_line_and_exits_2(
    error: CareerbotError, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(args: argparse.Namespace) -> int:
        raise error

    monkeypatch.setattr(cli, "cmd_feedback", fail)
    assert cli.main(["feedback"]) == 2
    assert capsys.readouterr().err == f"careerbot: error: {error}\n"
