"""Follow-ups through the gateway worker: replies to our answers and threads we answered in,
answered without a mention; never elsewhere, never to bots; capped; no passage shown twice."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.http import HTTPClient, Route
from discord.state import ConnectionState

from bot.answering import Answering
from bot.discord.gateway import handle_message, intents, run_gateway
from bot.followups import Conversations, FollowUpPolicy, combined_query, is_chatter
from bot.settings import Settings, SettingsError
from bot.store import StoreError
from bot.store.sqlite import SQLiteStore
from retrieval import Engine
from tests.discord.test_gateway import ANN, ME, WHEN, message_payload, run_in_thread
from tests.support.discord_client import BOT_TOKEN
from tests.support.fake_gateway import FakeGateway
from tests.support.mock_discord import MockDiscord

BO = {"id": "8", "username": "bo", "discriminator": "0", "avatar": None}
OTHER_BOT = {"id": "9", "username": "helper", "discriminator": "0", "avatar": None, "bot": True}
FIRST = "What does a machine learning engineer do day to day?"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class SendingHTTP(HTTPClient):
    """discord.py's HTTP client recording what we send; each sent message gets a new id."""

    def __init__(self) -> None:
        super().__init__(loop=None)
        self.sent: list[tuple[int, dict[str, Any]]] = []
        self._ids = itertools.count(900)

    async def send_message(self, channel_id: int, *, params: Any) -> dict:
        self.sent.append((int(channel_id), params.payload))
        return {**message_payload("ok", author=ME), "id": str(next(self._ids)), "channel_id": str(channel_id)}


class Place:
    """One guild with a text channel (10) and a thread (20), sharing one state and HTTP client."""

    def __init__(self) -> None:
        self.http = SendingHTTP()
        self.state = ConnectionState(
            dispatch=lambda *a, **k: None,
            handlers={},
            hooks={},
            http=self.http,
            intents=discord.Intents.none(),
        )
        self.me = discord.ClientUser(state=self.state, data=ME)
        self.state.user = self.me
        guild = {
            "id": "1",
            "name": "g",
            "roles": [],
            "emojis": [],
            "features": [],
            "channels": [],
            "members": [],
            "owner_id": "5",
        }
        self.guild = discord.Guild(data=guild, state=self.state)
        channel = {
            "id": "10",
            "type": 0,
            "name": "general",
            "position": 0,
            "guild_id": "1",
            "permission_overwrites": [],
        }
        self.channel = discord.TextChannel(state=self.state, guild=self.guild, data=channel)
        self.threads: dict[str, discord.Thread] = {}
        self._ids = itertools.count(500)

    def thread(self, thread_id: str) -> discord.Thread:
        if thread_id not in self.threads:
            data = {
                "id": thread_id,
                "guild_id": "1",
                "parent_id": "10",
                "owner_id": "7",
                "name": "a question",
                "type": 11,
                "message_count": 1,
                "member_count": 2,
                "rate_limit_per_user": 0,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": WHEN,
                    "locked": False,
                },
            }
            self.threads[thread_id] = discord.Thread(guild=self.guild, state=self.state, data=data)
        return self.threads[thread_id]

    def message(
        self,
        content: str,
        *,
        author: dict = ANN,
        mention: bool = False,
        reply_to: str | None = None,
        thread: str | None = None,
    ) -> discord.Message:
        channel = self.thread(thread) if thread else self.channel
        extra: dict[str, Any] = {"id": str(next(self._ids)), "channel_id": str(channel.id)}
        if reply_to:
            extra["message_reference"] = {
                "message_id": reply_to,
                "channel_id": str(channel.id),
                "guild_id": "1",
            }
            extra["type"] = 19
        if mention:
            content = f"<@42> {content}"
        data = message_payload(content, author, [ME] if mention else None, **extra)
        return discord.Message(state=self.state, channel=channel, data=data)

    def last_id(self) -> str:
        return str(899 + len(self.http.sent))

    def passages(self, n: int) -> list[str]:
        """The passage texts of the n-th answer we sent (its embed descriptions)."""
        return [e["description"] for e in self.http.sent[n][1].get("embeds", [])]


def run(message: discord.Message, place: Place, answering: Answering, conversations: Conversations) -> bool:
    return asyncio.run(handle_message(message, place.me, answering, conversations))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def talk(engine: Engine, store: SQLiteStore, clock: Clock):
    answering = Answering(engine, store)
    conversations = Conversations(answering, FollowUpPolicy(max_answers=2, idle_seconds=600), clock=clock)
    place = Place()
    return place, answering, conversations


def test_a_reply_to_our_answer_is_answered_without_a_mention_and_shows_nothing_twice(talk) -> None:
    place, answering, conversations = talk
    assert run(place.message(FIRST, mention=True), place, answering, conversations)
    first_answer = place.last_id()
    follow = place.message("and do they need to learn devops?", reply_to=first_answer)
    assert run(follow, place, answering, conversations)
    channel, payload = place.http.sent[1]
    assert channel == 10 and payload["message_reference"]["message_id"] == int(follow.id)
    assert payload["content"] == "**Q:** and do they need to learn devops?"
    assert "DevOps" in " ".join(place.passages(1))
    # The follow-up is an ask of its own: its buttons carry its id, and it is recorded.
    first_ids = [c["custom_id"] for c in place.http.sent[0][1]["components"][0]["components"]]
    ids = [c["custom_id"] for c in payload["components"][0]["components"]]
    ask_id = ids[0].rsplit(":", 1)[1]
    assert ids == [
        f"vote:up:{ask_id}",
        f"vote:down:{ask_id}",
        f"resolve:answered:{ask_id}",
        f"resolve:person:{ask_id}",
    ]
    assert ask_id != first_ids[0].rsplit(":", 1)[1]
    recorded = answering.store.get_ask(ask_id)
    assert recorded is not None
    assert (recorded.entry, recorded.channel, recorded.user, recorded.question) == (
        "followup",
        "10",
        "7",
        "and do they need to learn devops?",
    )
    assert payload["allowed_mentions"] == {"parse": [], "replied_user": False}
    # A reply to the follow-up's answer continues the same conversation.
    assert run(
        place.message("what about their skills?", reply_to=place.last_id()), place, answering, conversations
    )
    shown = [p for n in range(3) for p in place.passages(n)]
    assert len(shown) == len(set(shown)) >= 4  # no passage shown twice in the conversation
    # The cap (two follow-ups here): the next reply gets nothing.
    assert not run(
        place.message("do they write tests?", reply_to=place.last_id()), place, answering, conversations
    )
    assert len(place.http.sent) == 3
    # A mention is always answered, and starts following again.
    assert run(
        place.message("do they write tests?", mention=True, reply_to=place.last_id()),
        place,
        answering,
        conversations,
    )
    assert run(
        place.message("what about pipelines", reply_to=place.last_id()), place, answering, conversations
    )
    assert len(place.http.sent) == 5


def test_a_thread_we_answered_in_is_followed_and_others_are_not(talk, clock: Clock) -> None:
    place, answering, conversations = talk
    assert not run(
        place.message("what about devops?", thread="20"), place, answering, conversations
    )  # not joined
    assert run(place.message(FIRST, mention=True, thread="20"), place, answering, conversations)
    # Anyone's next message in that thread, no mention, no reply needed.
    assert run(
        place.message("do they need to learn devops?", author=BO, thread="20"),
        place,
        answering,
        conversations,
    )
    assert place.http.sent[1][0] == 20
    assert not run(
        place.message("do they need to learn devops?", thread="21"), place, answering, conversations
    )
    assert not run(place.message("what about devops?"), place, answering, conversations)  # the channel itself
    assert not run(
        place.message("what about skills?", author=OTHER_BOT, thread="20"), place, answering, conversations
    )
    me_again = place.message("what about skills?", author=ME, thread="20")
    assert not run(me_again, place, answering, conversations)  # never ourselves
    assert not run(
        place.message("thanks, makes sense!", thread="20"), place, answering, conversations
    )  # chatter
    assert not run(place.message("", thread="20"), place, answering, conversations)  # no content intent
    assert not run(
        place.message("when does the cafeteria open?", thread="20"), place, answering, conversations
    )
    assert len(place.http.sent) == 2
    clock.now += 601  # idle past CAREERBOT_FOLLOWUP_IDLE_MINUTES
    assert not run(place.message("what about their skills?", thread="20"), place, answering, conversations)
    assert len(place.http.sent) == 2


def test_a_follow_up_delivered_twice_is_answered_once(talk) -> None:
    place, answering, conversations = talk
    assert run(place.message(FIRST, mention=True, thread="20"), place, answering, conversations)
    follow = place.message("do they need to learn devops?", thread="20")
    again = discord.Message(
        state=place.state,
        channel=follow.channel,
        data=message_payload(follow.content, ANN, id=str(follow.id), channel_id="20"),
    )
    assert run(follow, place, answering, conversations)
    assert not run(again, place, answering, conversations)
    assert len(place.http.sent) == 2


def test_follow_ups_off_and_unanswered_mentions_start_nothing(
    engine: Engine, store: SQLiteStore, clock: Clock
) -> None:
    answering = Answering(engine, store)
    off = Conversations(answering, FollowUpPolicy(max_answers=0), clock=clock)
    place = Place()
    assert run(place.message(FIRST, mention=True, thread="20"), place, answering, off)
    assert not run(place.message("do they need to learn devops?", thread="20"), place, answering, off)
    on = Conversations(answering, FollowUpPolicy(max_answers=3), clock=clock)
    assert run(
        place.message("when does the cafeteria open?", mention=True, thread="30"), place, answering, on
    )
    assert not run(place.message("do they need to learn devops?", thread="30"), place, answering, on)
    assert store.get_thread("discord", "thread:30") is None


def test_settings_shape_the_policy_and_the_intents(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, careerbot_followup_answers=2, careerbot_followup_idle_minutes=1.5)
    assert FollowUpPolicy.from_settings(settings) == FollowUpPolicy(max_answers=2, idle_seconds=90.0)
    assert FollowUpPolicy.from_settings(Settings(_env_file=None)) == FollowUpPolicy(5, 3600.0)
    assert not intents(Settings(_env_file=None)).message_content
    assert intents(Settings(_env_file=None, discord_message_content_intent=True)).message_content


def test_combined_query_and_chatter() -> None:
    assert combined_query(FIRST, "  and devops? ") == f"and devops? {FIRST}"
    assert len(combined_query("x " * 900, "y" * 300)) <= 1000
    assert combined_query(FIRST, "z" * 1200) == "z" * 1000
    assert is_chatter("Thanks!! ok cool") and is_chatter("") and not is_chatter("thanks, and devops?")


# -- end to end: run_gateway against the local gateway and the mock REST API ---------------


def test_run_gateway_follows_up_on_a_reply_to_its_answer(
    monkeypatch: pytest.MonkeyPatch,
    discord_api: MockDiscord,
    engine: Engine,
    store: SQLiteStore,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    linked = threading.Event()
    mention = message_payload(f"<@42> {FIRST}", mentions=[ME], id="601")
    # The mock answers every post with message id 900: the follow-up replies to that answer,
    # without mentioning us (Discord's "ping on reply" turned off: the content is still ours to read
    # only with the message content intent, which this deployment has).
    follow = message_payload(
        "and do they need to learn devops?",
        id="602",
        type=19,
        message_reference={"message_id": "900", "channel_id": "10", "guild_id": "1"},
    )
    events = [{"t": "MESSAGE_CREATE", "d": mention}, {"wait": linked}, {"t": "MESSAGE_CREATE", "d": follow}]
    settings = Settings(
        _env_file=None,
        discord_bot_token=BOT_TOKEN,
        discord_api_url=discord_api.api_url,
        careerbot_db=tmp_path / "g.db",
        discord_message_content_intent=True,
    )
    with FakeGateway(events) as gateway:
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway.url))
        thread, outcome = run_in_thread(settings, engine, store)
        deadline = time.monotonic() + 20
        while store.thread_of_message("discord", "900") is None and time.monotonic() < deadline:
            discord_api.wait_for("POST", count=1, path_contains="/messages", timeout=0.05)
        linked.set()
        replies = discord_api.wait_for("POST", count=2, path_contains="/messages", timeout=20)
        gateway.release.set()
        thread.join(20)
    assert (
        gateway.identify is not None
        and gateway.identify["intents"] & discord.Intents(message_content=True).value
    )
    first, second = replies
    assert first.body["message_reference"]["message_id"] == 601
    assert second.body["message_reference"]["message_id"] == 602
    assert second.body["content"] == "**Q:** and do they need to learn devops?"
    assert not {e["description"] for e in first.body["embeds"]} & {
        e["description"] for e in second.body["embeds"]
    }
    assert isinstance(outcome[0], SettingsError)


def test_run_gateway_names_the_message_content_intent_when_refused(
    monkeypatch: pytest.MonkeyPatch,
    discord_api: MockDiscord,
    engine: Engine,
    store: SQLiteStore,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    with FakeGateway([], close_code=4014) as gateway:
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway.url))
        settings = Settings(
            _env_file=None,
            discord_bot_token=BOT_TOKEN,
            discord_api_url=discord_api.api_url,
            careerbot_db=tmp_path / "g.db",
            discord_message_content_intent=True,
        )
        with pytest.raises(
            SettingsError, match=r"^DISCORD_MESSAGE_CONTENT_INTENT is true but the Message Content"
        ):
            run_gateway(settings, engine, store)


class BrokenStore:
    """Every call fails as a read-only or unreachable database would."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: object, **kwargs: object) -> None:
            raise StoreError("SQLite database d.db (CAREERBOT_DB): attempt to write a readonly database")

        return fail


def test_a_broken_store_costs_follow_ups_but_never_a_reply(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    answering = Answering(engine, BrokenStore())  # type: ignore[arg-type]
    conversations = Conversations(answering, FollowUpPolicy(max_answers=3))
    place = Place()
    assert run(
        place.message(FIRST, mention=True, thread="20"), place, answering, conversations
    )  # still answered
    assert not run(
        place.message("do they need to learn devops?", thread="20"), place, answering, conversations
    )
    assert any("could not start following" in r.getMessage() for r in caplog.records)
