"""The interaction shapes the app reads, and Discord's protocol numbers by name."""

from __future__ import annotations

import json

from bot.discord.protocol import (
    ButtonStyle,
    CommandType,
    ComponentType,
    ContextType,
    IntegrationType,
    Interaction,
    InteractionType,
    MessageFlag,
    OptionType,
    ResponseType,
)
from tests.support.discord_payloads import DM_USER, GUILD_USER, command, component


def test_the_numbers_are_discords() -> None:
    # https://discord.com/developers/docs/interactions/receiving-and-responding
    assert [int(t) for t in InteractionType] == [1, 2, 3, 4, 5]  # 5: a modal submitted
    assert [int(t) for t in ResponseType] == [1, 4, 5, 6, 7, 8, 9]  # 9: open a modal
    assert ButtonStyle.SUCCESS == 3
    assert (CommandType.CHAT_INPUT, CommandType.MESSAGE, OptionType.STRING) == (1, 3, 3)
    assert (ComponentType.ACTION_ROW, ComponentType.BUTTON, ButtonStyle.PRIMARY, ButtonStyle.SECONDARY) == (
        1,
        2,
        1,
        2,
    )
    assert (ContextType.GUILD, ContextType.BOT_DM, ContextType.PRIVATE_CHANNEL) == (0, 1, 2)
    assert (IntegrationType.GUILD_INSTALL, IntegrationType.USER_INSTALL, MessageFlag.EPHEMERAL) == (0, 1, 64)
    assert (
        json.dumps({"type": ResponseType.PONG, "flags": MessageFlag.EPHEMERAL}) == '{"type": 1, "flags": 64}'
    )


def test_both_shapes_name_the_person_and_read_the_question() -> None:
    in_server = Interaction.model_validate(command("career", "What is MLOps?", GUILD_USER))
    in_dm = Interaction.model_validate(command("career", "What is MLOps?", DM_USER))
    assert (in_server.user_id, in_dm.user_id) == ("111", "222")
    assert in_server.option("question") == "What is MLOps?" and in_server.option("other") == ""
    assert in_server.type == InteractionType.APPLICATION_COMMAND and in_server.guild_id == "999"


def test_nulls_numbers_and_unknown_fields_read_as_absent() -> None:
    raw = component(
        "vote:up", {"id": 42, "content": None, "flags": 64, "new": "x"}, {"member": None, "user": {"id": 7}}
    )
    clicked = Interaction.model_validate({**raw, "data": {**raw["data"], "unknown": 1}, "guild_id": None})
    assert clicked.user_id == "7" and clicked.guild_id == ""
    assert clicked.message.id == "42" and clicked.message.content == "" and clicked.message.is_ephemeral
    assert clicked.data.custom_id == "vote:up" and clicked.data.focused is None
    assert Interaction.model_validate({"type": 99}).type == 99  # answered kindly by the handler
