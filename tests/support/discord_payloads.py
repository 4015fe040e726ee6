"""Interaction payloads shaped like Discord's: the server shape (member.user) and the DM shape (user)."""

from __future__ import annotations

APP_ID = "123456789012345678"

GUILD_USER = {
    "member": {"user": {"id": "111", "username": "ann"}, "roles": [], "permissions": "0"},
    "guild_id": "999",
    "channel_id": "555",
    "context": 0,
}
DM_USER = {"user": {"id": "222", "username": "bo"}, "channel_id": "666", "context": 1}
OTHER_GUILD_USER = {**GUILD_USER, "member": {"user": {"id": "333", "username": "cy"}, "roles": []}}


def command(name: str, question: str | None, who: dict, **extra: object) -> dict:
    options = [{"name": "question", "type": 3, "value": question}] if question is not None else []
    return {
        "id": "inter1",
        "application_id": APP_ID,
        "type": 2,
        "token": "tok-abc",
        "version": 1,
        "data": {"id": "c1", "name": name, "type": 1, "options": options},
        **who,
        **extra,
    }


def component(custom_id: str, message: dict, who: dict, interaction_id: str = "inter2") -> dict:
    return {
        "id": interaction_id,
        "application_id": APP_ID,
        "type": 3,
        "token": "tok-def",
        "version": 1,
        "data": {"custom_id": custom_id, "component_type": 2},
        "message": message,
        **who,
    }


def as_posted(data: dict, message_id: str) -> dict:
    """The message Discord echoes back in a component interaction: what we sent, plus an id."""
    return {**data, "id": message_id, "channel_id": "555", "flags": data.get("flags", 0)}
