"""The gateway worker's handlers on real discord.py objects built from recorded payloads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import discord
from discord.http import HTTPClient
from discord.state import ConnectionState

from bot.discord.gateway import handle_member_join, handle_message, intents
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from retrieval import Engine

ME = {"id": "42", "username": "careerbot", "discriminator": "0", "avatar": None, "bot": True}
ANN = {"id": "7", "username": "ann", "discriminator": "0", "avatar": None}
WHEN = "2026-11-22T00:00:00+00:00"


class RecordingHTTP(HTTPClient):
    """discord.py's HTTP client with the two calls we make recorded instead of sent."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__(loop=None)
        self.sent: list[tuple[int, dict[str, Any]]] = []
        self.fail = fail

    async def send_message(self, channel_id: int, *, params: Any) -> dict:
        if self.fail:
            raise discord.HTTPException(
                _Response(403), {"message": "Cannot send messages to this user", "code": 50007}
            )
        self.sent.append((int(channel_id), params.payload))
        return {**message_payload("ok", author=ME), "id": "900", "channel_id": str(channel_id)}

    async def start_private_message(self, user_id: int) -> dict:
        return {"id": "77", "type": 1, "recipients": [ANN]}


class _Response:
    def __init__(self, status: int) -> None:
        self.status, self.reason = status, "Forbidden"


def message_payload(
    content: str, author: dict = ANN, mentions: list[dict] | None = None, guild: bool = True
) -> dict:
    data = {
        "id": "500",
        "channel_id": "10",
        "author": author,
        "content": content,
        "timestamp": WHEN,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }
    if guild:
        data.update(
            guild_id="1", member={"roles": [], "joined_at": WHEN, "deaf": False, "mute": False, "flags": 0}
        )
    return data


def world(fail: bool = False) -> tuple[ConnectionState, RecordingHTTP, discord.ClientUser, discord.Guild]:
    http = RecordingHTTP(fail)
    state = ConnectionState(
        dispatch=lambda *a, **k: None, handlers={}, hooks={}, http=http, intents=discord.Intents.none()
    )
    me = discord.ClientUser(state=state, data=ME)
    state.user = me
    guild_data = {
        "id": "1",
        "name": "g",
        "roles": [],
        "emojis": [],
        "features": [],
        "channels": [],
        "members": [],
        "owner_id": "5",
    }
    return state, http, me, discord.Guild(data=guild_data, state=state)


def channel_message(content: str, mentions: list[dict] | None = None, author: dict = ANN, fail: bool = False):
    state, http, me, guild = world(fail)
    channel_data = {
        "id": "10",
        "type": 0,
        "name": "general",
        "position": 0,
        "guild_id": "1",
        "permission_overwrites": [],
    }
    channel = discord.TextChannel(state=state, guild=guild, data=channel_data)
    return (
        discord.Message(state=state, channel=channel, data=message_payload(content, author, mentions)),
        me,
        http,
    )


def dm_message(content: str):
    state, http, me, _ = world()
    channel = discord.DMChannel(me=me, state=state, data={"id": "11", "type": 1, "recipients": [ANN]})
    return discord.Message(state=state, channel=channel, data=message_payload(content, guild=False)), me, http


def test_mention_is_answered_as_a_reply(engine: Engine, store: SQLiteStore) -> None:
    message, me, http = channel_message(
        "<@42> Will ML engineers need to learn DevOps? @everyone", mentions=[ME]
    )
    assert asyncio.run(handle_message(message, me, engine, store)) is True
    [(channel, payload)] = http.sent
    assert channel == 10 and payload["message_reference"]["message_id"] == 500
    assert payload["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert "DevOps" in payload["embeds"][0]["description"]
    assert "@everyone" not in payload["content"]


def test_dm_is_answered_and_other_messages_are_not(engine: Engine, store: SQLiteStore) -> None:
    message, me, http = dm_message("What is a feature store?")
    assert asyncio.run(handle_message(message, me, engine, store)) is True
    assert "feature store" in http.sent[0][1]["embeds"][0]["description"]
    for msg, me_, http_ in (
        channel_message("what is MLOps?"),  # not mentioned
        channel_message("<@42> what is MLOps?", mentions=[ME], author={**ANN, "bot": True}),  # a bot
        channel_message("<@42> hello me", mentions=[ME], author=ME),  # ourselves
    ):
        assert asyncio.run(handle_message(msg, me_, engine, store)) is False and http_.sent == []


def test_member_join_welcomes_once_and_releases_on_failure(engine: Engine, store: SQLiteStore) -> None:
    def member(fail: bool = False, user: dict = ANN) -> tuple[discord.Member, RecordingHTTP]:
        state, http, _, guild = world(fail)
        data = {"user": user, "roles": [], "joined_at": WHEN, "deaf": False, "mute": False, "flags": 0}
        return discord.Member(data=data, guild=guild, state=state), http

    failing, _ = member(fail=True)
    assert asyncio.run(handle_member_join(failing, engine, store)) is False
    first, http = member()
    assert asyncio.run(handle_member_join(first, engine, store)) is True  # the failed claim was released
    assert "Welcome" in http.sent[0][1]["content"]
    again, http2 = member()
    assert asyncio.run(handle_member_join(again, engine, store)) is False and http2.sent == []
    bot_member, http3 = member(user={**ANN, "id": "8", "bot": True})
    assert asyncio.run(handle_member_join(bot_member, engine, store)) is False and http3.sent == []


def test_intents_need_no_message_content(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, careerbot_db=tmp_path / "x.db")
    wanted = intents(settings)
    assert not wanted.message_content and not wanted.members and wanted.dm_messages and wanted.guild_messages
    assert intents(Settings(_env_file=None, discord_members_intent=True)).members
