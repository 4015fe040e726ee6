"""CAREERBOT_HELPERS: parsing, mentions built only from configured ids, per-channel overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.helpers import Helpers, helpers_for, parse_helpers
from bot.settings import Settings, SettingsError, load_settings
from bot.store.sqlite import SQLiteStore


def test_parse_every_form_and_drop_repeats() -> None:
    helpers = parse_helpers(" slack:S0ABC, slack:U123 slack:W9Z,discord:role:42,discord:user:7 ,slack:S0ABC ")
    assert helpers == Helpers(
        slack_groups=("S0ABC",), slack_users=("U123", "W9Z"), discord_roles=("42",), discord_users=("7",)
    )
    assert parse_helpers(helpers.to_text()) == helpers
    assert parse_helpers("") == Helpers()


@pytest.mark.parametrize(
    "bad",
    [
        "channel",
        "slack:here",
        "slack:<!channel>",
        "slack:s0abc",
        "discord:123",
        "discord:everyone:1",
        "discord:role:@everyone",
        "slack:U1|x",
        "teams:U1",
    ],
)
def test_anything_else_is_refused_naming_the_entry(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a helper"):
        parse_helpers(f"slack:S1,{bad}")


def test_a_bad_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAREERBOT_HELPERS", "slack:S1,@channel")
    with pytest.raises(
        SettingsError, match=r"^CAREERBOT_HELPERS is invalid: .*'@channel' is not a helper"
    ) as info:
        load_settings()
    assert "\n" not in str(info.value)


def test_mentions_are_exactly_the_configured_ids() -> None:
    helpers = parse_helpers("slack:S0ABC,slack:U123,discord:role:42,discord:user:7")
    assert helpers.for_platform("slack").slack_mentions() == "<!subteam^S0ABC> <@U123>"
    text, allowed = helpers.for_platform("discord").discord_mentions()
    assert text == "<@&42> <@7>"
    assert allowed == {"parse": [], "roles": ["42"], "users": ["7"]}  # never everyone/here
    assert helpers.ids("slack") == ("group:S0ABC", "user:U123")
    assert helpers.ids("discord") == ("role:42", "user:7")
    assert not Helpers().any_for("slack") and helpers.any_for("discord")


def test_a_channel_override_wins_for_its_platform_only(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "h.db")
    settings = Settings(_env_file=None, careerbot_helpers="slack:S1,discord:role:5")
    store.set_channel_helpers("slack", "C-OVR", "slack:U77")
    assert helpers_for(settings, store, "slack", "C-OVR").slack_users == ("U77",)
    assert helpers_for(settings, store, "slack", "C-OVR").slack_groups == ()
    assert helpers_for(settings, store, "slack", "C-OTHER").slack_groups == ("S1",)
    assert helpers_for(settings, store, "discord", "C-OVR").discord_roles == ("5",)
    assert helpers_for(settings, store, "slack", None).slack_groups == ("S1",)
    store.close()
