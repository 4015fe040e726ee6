"""The gateway worker's handlers on real discord.py objects built from recorded payloads."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.http import HTTPClient, Route
from discord.state import ConnectionState

from bot.answering import Answering
from bot.discord.gateway import (
    WELCOME,
    handle_member_join,
    handle_message,
    intents,
    run_gateway,
    welcome_text,
)
from bot.settings import Settings, SettingsError
from bot.store import StoreError
from bot.store.sqlite import SQLiteStore
from retrieval import Engine
from tests.support.discord_client import BOT_TOKEN
from tests.support.fake_gateway import FakeGateway
from tests.support.mock_discord import MockDiscord

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
    content: str,
    author: dict = ANN,
    mentions: list[dict] | None = None,
    guild: bool = True,
    kind: int = 0,
    **extra: Any,
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
        "type": kind,
        **extra,
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


def channel_message(
    content: str, mentions: list[dict] | None = None, author: dict = ANN, fail: bool = False, **extra: Any
):
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
        discord.Message(
            state=state, channel=channel, data=message_payload(content, author, mentions, **extra)
        ),
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
    assert asyncio.run(handle_message(message, me, Answering(engine, store))) is True
    [(channel, payload)] = http.sent
    assert channel == 10 and payload["message_reference"]["message_id"] == 500
    assert payload["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert "DevOps" in payload["embeds"][0]["description"]
    assert payload["content"] == "**Q:** Will ML engineers need to learn DevOps? @\u200beveryone"
    # The buttons every answer has (tests/discord/test_gateway_resolution.py clicks them).
    assert [c["custom_id"].rsplit(":", 1)[0] for c in payload["components"][0]["components"]] == [
        "vote:up",
        "vote:down",
        "resolve:answered",
        "resolve:person",
    ]


def test_dm_is_answered_and_other_messages_are_not(
    engine: Engine, store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="careerbot.answers")
    message, me, http = dm_message("What is a feature store?")
    assert asyncio.run(handle_message(message, me, Answering(engine, store, log_questions=True))) is True
    [line] = [r.getMessage() for r in caplog.records if r.name == "careerbot.answers"]
    assert line.startswith("platform=discord entry=dm answered=True hits=")
    assert line.endswith(" question='What is a feature store?'")
    assert "feature store" in http.sent[0][1]["embeds"][0]["description"]
    for msg, me_, http_ in (
        channel_message("what is MLOps?"),  # not mentioned
        channel_message("<@7> what is MLOps?", mentions=[ANN]),  # someone else mentioned
        channel_message("<@42> what is MLOps?", mentions=[ME], author={**ANN, "bot": True}),  # a bot
        channel_message("<@42> hello me", mentions=[ME], author=ME),  # ourselves
        channel_message("<@42> what is MLOps?", mentions=[ME], webhook_id="88"),  # a webhook
        channel_message("<@42> pinned a message", mentions=[ME], kind=6),  # a system message
    ):
        assert asyncio.run(handle_message(msg, me_, Answering(engine, store))) is False and http_.sent == []


def test_a_message_delivered_twice_is_answered_once(engine: Engine, store: SQLiteStore) -> None:
    first, me, http = dm_message("What is a feature store?")
    again, _, http2 = dm_message("What is a feature store?")  # the same message id, e.g. a second worker
    assert asyncio.run(handle_message(first, me, Answering(engine, store))) is True
    assert asyncio.run(handle_message(again, me, Answering(engine, store))) is False
    assert len(http.sent) == 1 and http2.sent == []


def test_a_bare_mention_gets_help_and_an_unanswerable_one_gets_examples(
    engine: Engine, store: SQLiteStore
) -> None:
    message, me, http = channel_message("<@!42>", mentions=[ME])
    assert asyncio.run(handle_message(message, me, Answering(engine, store))) is True
    content = http.sent[0][1]["content"]
    assert content.startswith("Ask me a question") and engine.example_questions()[0] in content
    message, me, http = channel_message("<@42> when does the cafeteria open?", mentions=[ME], id="501")
    assert asyncio.run(handle_message(message, me, Answering(engine, store))) is True
    payload = http.sent[0][1]
    assert "nothing good" in payload["content"]
    # The examples as buttons (as on every no-answer reply), then "Ask a person".
    examples, person = payload["components"]
    assert [c["label"] for c in examples["components"]] == list(engine.example_questions()[:5])
    assert [c["custom_id"].rsplit(":", 1)[0] for c in person["components"]] == ["resolve:person"]
    assert store.feedback_totals().unanswered_questions == ["when does the cafeteria open?"]


def test_a_failed_reply_is_logged_and_not_raised(
    engine: Engine, store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    message, me, _ = channel_message("<@42> what is MLOps?", mentions=[ME], fail=True)
    assert asyncio.run(handle_message(message, me, Answering(engine, store))) is False
    assert any("message 500: reply failed" in r.getMessage() for r in caplog.records)


def member(fail: bool = False, user: dict = ANN) -> tuple[discord.Member, RecordingHTTP]:
    state, http, _, guild = world(fail)
    data = {"user": user, "roles": [], "joined_at": WHEN, "deaf": False, "mute": False, "flags": 0}
    return discord.Member(data=data, guild=guild, state=state), http


def test_member_join_welcomes_once_and_releases_on_failure(engine: Engine, store: SQLiteStore) -> None:
    failing, _ = member(fail=True)
    assert asyncio.run(handle_member_join(failing, Answering(engine, store))) is False
    first, http = member()
    assert (
        asyncio.run(handle_member_join(first, Answering(engine, store))) is True
    )  # the failed claim was released
    [(channel, payload)] = http.sent
    assert channel == 77 and payload["content"].startswith(WELCOME)
    assert (
        engine.documents[0].title in payload["content"]
        and engine.example_questions()[0] in payload["content"]
    )
    assert payload["allowed_mentions"] == {"parse": []} and len(payload["content"]) <= 2000
    again, http2 = member()
    assert asyncio.run(handle_member_join(again, Answering(engine, store))) is False and http2.sent == []
    bot_member, http3 = member(user={**ANN, "id": "8", "bot": True})
    assert asyncio.run(handle_member_join(bot_member, Answering(engine, store))) is False and http3.sent == []


def test_welcome_text_is_the_same_from_a_saved_index(engine: Engine, tmp_path: Path) -> None:
    engine.save(tmp_path / "index")
    loaded = Engine.load(tmp_path / "index")
    assert welcome_text(loaded) == welcome_text(engine)
    assert all(f"• {d.title}" in welcome_text(engine) for d in engine.documents)


class NoStore:
    def claim_welcome(self, platform: str, user: str) -> bool:
        raise StoreError("SQLite database d.db (CAREERBOT_DB): unable to open database file")


def test_member_join_without_a_store_sends_nothing(engine: Engine) -> None:
    newcomer, http = member()
    assert asyncio.run(handle_member_join(newcomer, Answering(engine, NoStore()))) is False  # type: ignore[arg-type]
    assert http.sent == []


def test_intents_need_no_message_content(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, careerbot_db=tmp_path / "x.db")
    wanted = intents(settings)
    assert not wanted.message_content and not wanted.members and wanted.dm_messages and wanted.guild_messages
    assert intents(Settings(_env_file=None, discord_members_intent=True)).members


# -- the whole worker: run_gateway against a local gateway and the mock REST API ----------------


def gateway_settings(discord_api: MockDiscord, tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        _env_file=None,
        discord_bot_token=BOT_TOKEN,
        discord_api_url=discord_api.api_url,
        careerbot_db=tmp_path / "g.db",
        **extra,
    )


def run_in_thread(settings: Settings, engine: Engine, store: SQLiteStore) -> tuple[threading.Thread, list]:
    outcome: list = []

    def target() -> None:
        try:
            run_gateway(settings, engine, store)
            outcome.append(None)
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


@pytest.fixture
def local_discord(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """run_gateway sets discord.py's REST base from DISCORD_API_URL; restore it afterwards."""
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    return monkeypatch


def test_run_gateway_answers_dms_and_mentions_end_to_end(
    local_discord: pytest.MonkeyPatch,
    discord_api: MockDiscord,
    engine: Engine,
    store: SQLiteStore,
    tmp_path: Path,
) -> None:
    events = [
        {
            "t": "MESSAGE_CREATE",
            "d": message_payload("What is a feature store?", guild=False, id="601", channel_id="11"),
        },
        {"t": "MESSAGE_CREATE", "d": message_payload("<@42> what is MLOps?", mentions=[ME], id="602")},
        {"t": "MESSAGE_CREATE", "d": message_payload("what is MLOps?", id="603")},  # not for us
        {
            "t": "MESSAGE_CREATE",
            "d": message_payload("hi", author={**ANN, "bot": True}, guild=False, id="604"),
        },
    ]
    with FakeGateway(events) as gateway:
        local_discord.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway.url))
        thread, outcome = run_in_thread(gateway_settings(discord_api, tmp_path), engine, store)
        replies = discord_api.wait_for("POST", count=2, path_contains="/messages", timeout=20)
        gateway.release.set()
        thread.join(20)
    assert gateway.identify is not None and gateway.identify["token"] == BOT_TOKEN
    assert gateway.identify["intents"] == intents(gateway_settings(discord_api, tmp_path)).value
    assert not gateway.identify["intents"] & discord.Intents(message_content=True).value
    [login] = [r for r in discord_api.requests if r.path.endswith("/users/@me")]
    assert login.headers["Authorization"] == f"Bot {BOT_TOKEN}"
    by_channel = {r.path: r.body for r in replies}
    assert set(by_channel) == {"/api/v10/channels/11/messages", "/api/v10/channels/10/messages"}
    dm, mention = by_channel["/api/v10/channels/11/messages"], by_channel["/api/v10/channels/10/messages"]
    assert "feature store" in dm["embeds"][0]["description"] and dm["message_reference"]["message_id"] == 601
    assert mention["content"] == "**Q:** what is MLOps?" and mention["message_reference"]["message_id"] == 602
    assert mention["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert len([r for r in discord_api.requests if r.method == "POST"]) == 2  # nothing else answered
    [error] = outcome  # the gateway then refused the token: one clear line
    assert (
        isinstance(error, SettingsError)
        and str(error) == "DISCORD_BOT_TOKEN was refused by Discord's gateway"
    )


def test_run_gateway_welcomes_a_member_who_joins(
    local_discord: pytest.MonkeyPatch,
    discord_api: MockDiscord,
    engine: Engine,
    store: SQLiteStore,
    tmp_path: Path,
) -> None:
    guild = {
        "id": "1",
        "name": "g",
        "unavailable": False,
        "member_count": 1,
        "roles": [],
        "emojis": [],
        "stickers": [],
        "features": [],
        "channels": [],
        "threads": [],
        "members": [],
        "owner_id": "5",
    }
    join = {
        "guild_id": "1",
        "user": ANN,
        "roles": [],
        "joined_at": WHEN,
        "deaf": False,
        "mute": False,
        "flags": 0,
    }
    events = [{"t": "GUILD_CREATE", "d": guild}, {"t": "GUILD_MEMBER_ADD", "d": join}]
    with FakeGateway(events, guilds=[guild]) as gateway:
        local_discord.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway.url))
        settings = gateway_settings(discord_api, tmp_path, discord_members_intent=True)
        thread, outcome = run_in_thread(settings, engine, store)
        [welcome] = discord_api.wait_for("POST", path_contains="/channels/77/messages", timeout=20)
        gateway.release.set()
        thread.join(20)
    assert gateway.identify is not None and gateway.identify["intents"] & discord.Intents(members=True).value
    opened = [r for r in discord_api.requests if r.path.endswith("/users/@me/channels")]
    assert [r.body for r in opened] == [{"recipient_id": 7}]  # a DM opened with the newcomer
    assert welcome.body["content"].startswith(WELCOME) and welcome.body["allowed_mentions"]["parse"] == []
    assert store.claim_welcome("discord", "7") is False  # claimed: a second join gets no welcome
    assert isinstance(outcome[0], SettingsError)


def test_run_gateway_names_the_members_intent_when_discord_refuses_it(
    local_discord: pytest.MonkeyPatch,
    discord_api: MockDiscord,
    engine: Engine,
    store: SQLiteStore,
    tmp_path: Path,
) -> None:
    with FakeGateway([], close_code=4014) as gateway:
        local_discord.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway.url))
        settings = gateway_settings(discord_api, tmp_path, discord_members_intent=True)
        with pytest.raises(
            SettingsError, match=r"^DISCORD_MEMBERS_INTENT is true but the Server Members Intent"
        ):
            run_gateway(settings, engine, store)


def test_run_gateway_without_a_token_names_the_variable(engine: Engine, store: SQLiteStore) -> None:
    with pytest.raises(SettingsError, match=r"^DISCORD_BOT_TOKEN is not set"):
        run_gateway(Settings(_env_file=None), engine, store)
