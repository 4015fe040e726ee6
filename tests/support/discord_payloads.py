"""Interaction payloads shaped like Discord's: the server shape (member.user) and the DM shape (user)."""

from __future__ import annotations

import itertools
import time

_SEQUENCE = itertools.count()
DISCORD_EPOCH_MS = 1_420_070_400_000

APP_ID = "123456789012345678"

GUILD_USER = {
    "member": {"user": {"id": "111", "username": "ann"}, "roles": [], "permissions": "0"},
    "guild_id": "999",
    "channel_id": "555",
    "context": 0,
}
DM_USER = {"user": {"id": "222", "username": "bo"}, "channel_id": "666", "context": 1}
OTHER_GUILD_USER = {**GUILD_USER, "member": {"user": {"id": "333", "username": "cy"}, "roles": []}}


def snowflake(at: float | None = None) -> str:
    """A fresh interaction id, as Discord makes them: milliseconds since 2015 in the top bits.

    Every interaction is unique (the app refuses a replayed id), so each payload gets its own.
    """
    millis = int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS
    return str((millis << 22) | (next(_SEQUENCE) % (1 << 22)))


def interaction(kind: int, token: str, data: dict, interaction_id: str | None = None, **rest: object) -> dict:
    """The envelope every interaction shares, around its `data`."""
    return {
        "id": interaction_id or snowflake(),
        "application_id": APP_ID,
        "type": kind,
        "token": token,
        "version": 1,
        "data": data,
        **rest,
    }


def command(
    name: str, question: str | None, who: dict, interaction_id: str | None = None, **extra: object
) -> dict:
    options = [{"name": "question", "type": 3, "value": question}] if question is not None else []
    data = {"id": "c1", "name": name, "type": 1, "options": options}
    return interaction(2, "tok-abc", data, interaction_id, **who, **extra)


def component(custom_id: str, message: dict, who: dict, interaction_id: str | None = None) -> dict:
    data = {"custom_id": custom_id, "component_type": 2}
    return interaction(3, "tok-def", data, interaction_id, message=message, **who)


def as_posted(data: dict, message_id: str) -> dict:
    """The message Discord echoes back in a component interaction: what we sent, plus an id."""
    return {**data, "id": message_id, "channel_id": "555", "flags": data.get("flags", 0)}
