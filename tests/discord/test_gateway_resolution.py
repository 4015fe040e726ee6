"""Answers the gateway worker sends carry the resolution buttons, and their clicks work both ways
Discord delivers them: over the gateway (an app without an Interactions Endpoint URL: the worker
answers through the interaction's callback, on the mock REST API) and to the web process's
signed /discord/interactions route."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.http import Route

from bot.answering import Answering
from bot.discord import render
from bot.discord.gateway import gateway_interaction, handle_message
from bot.discord.rest import redact
from bot.store.sqlite import SQLiteStore
from retrieval import Engine
from tests.discord.test_gateway import (
    ANN,
    ME,
    WHEN,
    channel_message,
    gateway_settings,
    message_payload,
    run_in_thread,
)
from tests.support.discord_client import Client
from tests.support.discord_payloads import APP_ID, GUILD_USER, as_posted, component, snowflake
from tests.support.fake_gateway import FakeGateway
from tests.support.mock_discord import MockDiscord

QUESTION = "Will ML engineers need to learn DevOps?"
MEMBER = {"user": ANN, "roles": ["777"], "joined_at": WHEN, "deaf": False, "mute": False, "flags": 0}


def ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]


def figures(store: SQLiteStore):
    now = datetime.now(UTC)
    return store.insight(now - timedelta(days=1), now + timedelta(days=1))


def click(custom_id: str, message: dict, token: str, after: float = 0.0) -> dict:
    """A component interaction as the gateway delivers it (INTERACTION_CREATE's `d`), made
    `after` seconds from now (its id says when: the latest click wins)."""
    return {
        "id": snowflake(time.time() + after),
        "application_id": APP_ID,
        "type": 3,
        "token": token,
        "version": 1,
        "attachment_size_limit": 10_485_760,
        "data": {"custom_id": custom_id, "component_type": 2},
        "guild_id": "1",
        "channel_id": "10",
        "channel": {"id": "10", "type": 0, "guild_id": "1", "name": "general", "position": 0},
        "member": MEMBER,
        "locale": "en-US",
        "message": message,
    }


def reason(message: dict, token: str) -> dict:
    """The 👎 reason modal submitted (type 5), with a fixed choice and a note."""
    components = [
        {"type": 18, "component": {"type": 3, "custom_id": render.REASON_CHOICE, "values": ["incomplete"]}},
        {"type": 18, "component": {"type": 4, "custom_id": render.REASON_TEXT, "value": "more on CI"}},
    ]
    payload = click("x", message, token)
    return {
        **payload,
        "type": 5,
        "data": {"custom_id": f"{render.REASON_MODAL}{message['id']}", "components": components},
    }


@pytest.fixture
def local_discord(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    return monkeypatch


def test_clicks_on_a_gateway_answer_over_the_gateway(
    local_discord: pytest.MonkeyPatch,
    discord_api: MockDiscord,
    engine: Engine,
    store: SQLiteStore,
    tmp_path: Path,
) -> None:
    """A mention is answered with the buttons; 👍, "That answers it", 👎 with its reason and
    "Ask a person" clicked on that answer come over the gateway and are answered through
    POST /interactions/{id}/{token}/callback, each with what the web route would answer."""
    released, voted = threading.Event(), threading.Event()
    clicks: list[dict[str, Any]] = [{"t": "INTERACTION_CREATE", "d": None} for _ in range(5)]
    events = [
        {"t": "MESSAGE_CREATE", "d": message_payload(f"<@42> {QUESTION}", mentions=[ME], id="602")},
        {"wait": released},  # the clicks are made on the answer, once it is posted
        *clicks[:3],
        {"wait": voted},  # the reason is given once the 👎 is stored, as a person would
        *clicks[3:],
    ]
    with FakeGateway(events) as gateway:
        local_discord.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway.url))
        settings = gateway_settings(discord_api, tmp_path, careerbot_helpers="discord:role:777")
        thread, outcome = run_in_thread(settings, engine, store)
        [posted] = discord_api.wait_for("POST", path_contains="/channels/10/messages", timeout=20)
        # The answer as Discord echoes it in a click: what the mock returned, with our buttons.
        answer = {
            **message_payload(posted.body["content"], author=ME, id="900"),
            "components": posted.body["components"],
        }
        ask_id = ids(answer)[0].rsplit(":", 1)[1]
        assert ids(answer) == [
            f"vote:up:{ask_id}",
            f"vote:down:{ask_id}",
            f"resolve:answered:{ask_id}",
            f"resolve:person:{ask_id}",
        ]
        made = (
            click(f"vote:up:{ask_id}", answer, "tok-up"),
            click(f"resolve:answered:{ask_id}", answer, "tok-mark", after=1),
            click(f"vote:down:{ask_id}", answer, "tok-down", after=2),  # changed their mind
            reason(answer, "tok-reason"),
            click(f"resolve:person:{ask_id}", answer, "tok-person", after=3),
        )
        for slot, payload in zip(clicks, made, strict=True):
            slot["d"] = payload
        released.set()
        discord_api.wait_for("POST", count=3, path_contains="/callback", timeout=20)
        voted.set()
        responses = discord_api.wait_for("POST", count=5, path_contains="/callback", timeout=20)
        gateway.release.set()
        thread.join(20)
    by_token = {r.path.split("/")[-2]: r.body for r in responses}
    assert all(
        r.path.startswith("/api/v10/interactions/") and "Authorization" not in r.headers for r in responses
    )
    up, mark, down, modal_done, person = (
        by_token[t] for t in ("tok-up", "tok-mark", "tok-down", "tok-reason", "tok-person")
    )
    # A public answer is everyone's: each voter gets a private confirmation.
    assert up["type"] == 4 and up["data"]["flags"] == 64 and "👍" in up["data"]["content"]
    assert mark["type"] == 4 and "Glad" in mark["data"]["content"]
    assert down["type"] == 9 and down["data"]["custom_id"] == "reason:900"
    assert modal_done["type"] == 4 and "👎" in modal_done["data"]["content"]
    assert person["type"] == 4 and person["data"]["allowed_mentions"]["roles"] == ["777"]
    assert (
        person["data"]["content"].startswith("<@&777>") and QUESTION.split()[0] in person["data"]["content"]
    )
    [handoff_button] = ids(person["data"])
    assert handoff_button.startswith(render.HANDOFF_RESOLVE)
    # Stored, and counted on the insight page against the gateway's ask.
    ask = store.get_ask(ask_id)
    assert ask is not None and (ask.entry, ask.channel, ask.user) == ("mention", "10", "7") and ask.answered
    vote = store.get_vote("discord", "900", "7")
    assert vote is not None and (vote.vote, vote.reason, vote.reason_text, vote.ask_id) == (
        "down",
        "incomplete",
        "more on CI",
        ask_id,
    )
    handoff = store.get_handoff(handoff_button[len(render.HANDOFF_RESOLVE) :])
    assert handoff is not None and handoff.ask_id == ask_id and not handoff.resolved
    f = figures(store)
    assert (f.asked, f.askers, f.marked_answered, f.auto_resolved, f.down, f.handoffs_open) == (
        1,
        1,
        1,
        0,
        1,
        1,
    )
    assert outcome and outcome[0] is not None  # the gateway then refused the token: the run ended


def test_mark_resolved_over_the_gateway_and_a_failed_callback_is_logged(
    local_discord: pytest.MonkeyPatch,
    discord_api: MockDiscord,
    engine: Engine,
    store: SQLiteStore,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The hand-off's "Mark resolved" (by the asker) updates its message; a callback Discord
    refuses costs one log line with the token redacted, and the worker goes on."""
    released, handed_off = threading.Event(), threading.Event()
    slots: list[dict[str, Any]] = [{"t": "INTERACTION_CREATE", "d": None} for _ in range(3)]
    events = [
        {"t": "MESSAGE_CREATE", "d": message_payload(f"<@42> {QUESTION}", mentions=[ME], id="603")},
        {"wait": released},
        *slots[:2],
        {"wait": handed_off},  # "Mark resolved" is clicked on the hand-off, once it is posted
        slots[2],
    ]
    discord_api.fail("POST", "/tok-refused/callback", 400, {"message": "Unknown interaction", "code": 10062})
    with FakeGateway(events) as gateway:
        local_discord.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(gateway.url))
        thread, _ = run_in_thread(gateway_settings(discord_api, tmp_path), engine, store)
        [posted] = discord_api.wait_for("POST", path_contains="/channels/10/messages", timeout=20)
        answer = {
            **message_payload(posted.body["content"], author=ME, id="901"),
            "components": posted.body["components"],
        }
        person = next(i for i in ids(answer) if i.startswith(render.HANDOFF))
        slots[0]["d"] = click(f"vote:up:{person.rsplit(':', 1)[1]}", answer, "tok-refused")
        slots[1]["d"] = click(person, answer, "tok-person")
        released.set()
        [handoff_reply] = discord_api.wait_for("POST", path_contains="/tok-person/callback", timeout=20)
        assert "Ask me" not in handoff_reply.body["data"]["content"]  # no helpers: whom to ask instead
        handoff_message = {
            **message_payload(handoff_reply.body["data"]["content"], author=ME, id="902"),
            "components": handoff_reply.body["data"]["components"],
        }
        [resolve] = ids(handoff_message)
        slots[2]["d"] = click(resolve, handoff_message, "tok-resolve")
        handed_off.set()
        [resolved] = discord_api.wait_for("POST", path_contains="/tok-resolve/callback", timeout=20)
        gateway.release.set()
        thread.join(20)
    assert resolved.body["type"] == 7 and "Resolved by <@7>" in resolved.body["data"]["content"]
    assert resolved.body["data"]["components"] == []
    stored = store.get_handoff(resolve[len(render.HANDOFF_RESOLVE) :])
    assert stored is not None and stored.resolved and stored.resolved_by == "7"
    # The worker's own log (run_gateway configures logging to stderr).
    [line] = [ln for ln in capsys.readouterr().err.splitlines() if "the response was not delivered" in ln]
    assert "HTTP 400" in line and "tok-refused" not in line and "***" in line


def test_clicks_on_a_gateway_answer_through_the_web_route(
    client: Client, engine: Engine, store: SQLiteStore
) -> None:
    """With an Interactions Endpoint URL, the clicks on the worker's answers reach the web process."""
    message, me, http = channel_message(f"<@42> {QUESTION}", mentions=[ME])
    assert asyncio.run(handle_message(message, me, Answering(engine, store))) is True
    [(_, sent)] = http.sent
    echoed = as_posted({"content": sent["content"], "components": sent["components"]}, "950")
    ask_id = ids(echoed)[0].rsplit(":", 1)[1]
    modal = client.post(component(f"vote:down:{ask_id}", echoed, GUILD_USER)).json()
    assert modal["type"] == 9 and modal["data"]["custom_id"] == "reason:950"
    marked = client.post(component(f"resolve:answered:{ask_id}", echoed, GUILD_USER)).json()
    assert "Glad" in marked["data"]["content"]
    handed = client.post(component(f"resolve:person:{ask_id}", echoed, GUILD_USER)).json()
    assert handed["type"] == 4 and any(i.startswith(render.HANDOFF_RESOLVE) for i in ids(handed["data"]))
    vote = store.get_vote("discord", "950", "111")
    assert vote is not None and vote.vote == "down" and vote.ask_id == ask_id
    f = figures(store)
    assert (f.asked, f.marked_answered, f.auto_resolved, f.handoffs_open) == (1, 1, 0, 1)


def test_only_interactions_are_taken_from_the_raw_gateway_stream() -> None:
    event = {"op": 0, "t": "INTERACTION_CREATE", "s": 3, "d": {"id": "1", "token": "t"}}
    assert gateway_interaction(json.dumps(event)) == {"id": "1", "token": "t"}
    assert gateway_interaction(json.dumps(event).encode()) == {"id": "1", "token": "t"}
    assert gateway_interaction(json.dumps({**event, "t": "MESSAGE_CREATE"})) is None
    assert gateway_interaction('{"op": 11}') is None
    assert gateway_interaction('{"t": "INTERACTION_CREATE", "op": 0, "d": [1]}') is None
    assert gateway_interaction("INTERACTION_CREATE, not JSON") is None
    assert redact("/interactions/1234/secret-token/callback") == "/interactions/1234/***/callback"
