"""Resolution on Discord over signed HTTP: "That answers it", the 👎 reason modal, "Ask a person"
(a public reply pinging exactly the configured roles and users), and "Mark resolved"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bot.discord import render
from bot.helpers import NO_HELPERS_TEXT
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.support.discord_client import Client, make_settings
from tests.support.discord_payloads import (
    DM_USER,
    GUILD_USER,
    OTHER_GUILD_USER,
    as_posted,
    command,
    component,
)
from tests.support.http import serve
from tests.support.mock_discord import MockDiscord

QUESTION = "What is a feature store?"
HELPERS = "discord:role:777,discord:user:888,slack:S0HELP"


def ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]


def button_id(message: dict, prefix: str) -> str:
    return next(i for i in ids(message) if i.startswith(prefix))


def figures(store: SQLiteStore):
    now = datetime.now(UTC)
    return store.insight(now - timedelta(days=1), now + timedelta(days=1))


def modal_submit(custom_id: str, message: dict, who: dict, choice: str | None, text: str | None) -> dict:
    """A modal submission as Discord sends it (label components holding a select and a text input)."""
    components = [
        {
            "type": 18,
            "component": {"type": 3, "custom_id": render.REASON_CHOICE, "values": [choice] if choice else []},
        },
        {"type": 18, "component": {"type": 4, "custom_id": render.REASON_TEXT, "value": text or ""}},
    ]
    payload = component("x", message, who)  # a fresh interaction id: replays are refused
    return {**payload, "type": 5, "data": {"custom_id": custom_id, "components": components}}


@pytest.fixture
def helped(
    signing_key: SigningKey, discord_api: MockDiscord, engine: Engine, store: SQLiteStore, tmp_path: Path
) -> Iterator[Client]:
    settings = make_settings(signing_key, discord_api, tmp_path, careerbot_helpers=HELPERS)
    url, http = serve(create_web_app(settings, engine, store))
    yield Client(url, signing_key)
    http.shutdown()


def answer(
    client: Client, who: dict = GUILD_USER, question: str = QUESTION, message_id: str = "msg-1"
) -> dict:
    return as_posted(client.post(command("career", question, who)).json()["data"], message_id)


def test_every_answer_has_the_buttons_and_its_ask_is_recorded(client: Client, store: SQLiteStore) -> None:
    message = answer(client)
    ask_id = button_id(message, render.RESOLVED).split(":")[-1]
    assert ids(message) == [
        f"vote:up:{ask_id}",
        f"vote:down:{ask_id}",
        f"resolve:answered:{ask_id}",
        f"resolve:person:{ask_id}",
        "share",
    ]
    assert all(len(i) <= render.CUSTOM_ID_LIMIT for i in ids(message))
    ask = store.get_ask(ask_id)
    assert ask is not None and ask.platform == "discord" and ask.entry == "command:/career"
    assert ask.channel == "555" and ask.user == "111" and ask.answered


def test_that_answers_it(client: Client, store: SQLiteStore) -> None:
    message = answer(client)
    reply = client.post(component(button_id(message, render.RESOLVED), message, GUILD_USER)).json()
    assert reply["type"] == 4 and reply["data"]["flags"] == 64 and "Glad" in reply["data"]["content"]
    client.post(component(button_id(message, render.RESOLVED), message, GUILD_USER))  # twice: one mark
    f = figures(store)
    assert (f.marked_answered, f.auto_resolved) == (1, 1)


def test_a_down_vote_asks_for_a_reason_stored_with_it(client: Client, store: SQLiteStore) -> None:
    message = answer(client)
    ask_id = button_id(message, render.RESOLVED).split(":")[-1]
    modal = client.post(component(f"vote:down:{ask_id}", message, GUILD_USER)).json()
    assert modal["type"] == 9 and modal["data"]["custom_id"] == "reason:msg-1"
    select = modal["data"]["components"][0]["component"]
    assert [o["value"] for o in select["options"]] == ["not_asked", "incomplete", "wrong", "unclear", "other"]
    assert select["required"] is False and modal["data"]["components"][1]["component"]["required"] is False
    assert store.get_vote("discord", "msg-1", "111").vote == "down"  # type: ignore[union-attr]  # stored before the reason

    shown = client.post(
        modal_submit("reason:msg-1", message, GUILD_USER, "wrong", "@everyone the link is dead")
    ).json()
    assert shown["type"] == 7  # the ephemeral answer shows the recorded vote, buttons kept
    assert "Your vote: 👎" in json.dumps(shown["data"], ensure_ascii=False)
    assert f"resolve:person:{ask_id}" in ids(shown["data"])
    stored = store.get_vote("discord", "msg-1", "111")
    assert stored is not None and (stored.reason, stored.reason_text) == (
        "wrong",
        "@everyone the link is dead",
    )
    assert stored.ask_id == ask_id
    assert figures(store).reasons == {"wrong": 1} and figures(store).auto_resolved == 0


def test_reason_variants(client: Client, store: SQLiteStore) -> None:
    message = answer(client)
    client.post(component(button_id(message, "vote:down"), message, GUILD_USER))
    client.post(modal_submit("reason:msg-1", message, GUILD_USER, None, None))  # skipped
    assert store.get_vote("discord", "msg-1", "111").reason is None  # type: ignore[union-attr]
    # The older modal layout (action rows of text inputs) reads the same; text alone is "other".
    legacy = component("x", message, GUILD_USER)
    legacy = {
        **legacy,
        "type": 5,
        "data": {
            "custom_id": "reason:msg-1",
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": "text", "value": "too vague"}]}
            ],
        },
    }
    client.post(legacy)
    stored = store.get_vote("discord", "msg-1", "111")
    assert stored is not None and (stored.reason, stored.reason_text) == ("other", "too vague")
    # On a shared (public) answer the confirmation is private.
    public = {**message, "flags": 0, "id": "msg-2"}
    client.post(component(button_id(message, "vote:down"), public, OTHER_GUILD_USER))
    private = client.post(modal_submit("reason:msg-2", public, OTHER_GUILD_USER, "unclear", "")).json()
    assert private["type"] == 4 and private["data"]["flags"] == 64
    assert store.get_vote("discord", "msg-2", "333").reason == "unclear"  # type: ignore[union-attr]


def test_ask_a_person_pings_exactly_the_configured_roles_and_users(
    helped: Client, store: SQLiteStore
) -> None:
    message = answer(helped, question="@everyone <@&999> is a **PhD** needed?")
    handoff = helped.post(component(button_id(message, render.HANDOFF), message, GUILD_USER)).json()
    assert handoff["type"] == 4 and "flags" not in handoff["data"]  # public, a reply to the answer
    data = handoff["data"]
    assert data["content"].startswith("<@&777> <@888> <@111> would like a person to answer this:")
    assert data["allowed_mentions"] == {"parse": [], "roles": ["777"], "users": ["888"]}
    assert "@everyone" not in data["content"] and "<@&999>" not in data["content"]  # defused, escaped
    assert "\\*\\*PhD\\*\\*" in data["content"]
    [resolve_id] = ids(data)
    assert resolve_id.startswith(render.HANDOFF_RESOLVE)
    again = helped.post(component(button_id(message, render.HANDOFF), message, GUILD_USER)).json()
    assert again["data"]["flags"] == 64 and "already" in again["data"]["content"]
    assert figures(store).handoffs_open == 1


def test_without_helpers_the_reply_says_whom_to_ask(client: Client) -> None:
    message = answer(client)
    data = client.post(component(button_id(message, render.HANDOFF), message, GUILD_USER)).json()["data"]
    assert render.defuse(NO_HELPERS_TEXT) in data["content"] and data["allowed_mentions"] == {"parse": []}
    assert ids(data)[0].startswith(render.HANDOFF_RESOLVE)


def test_a_channel_override(helped: Client, store: SQLiteStore) -> None:
    store.set_channel_helpers("discord", "555", "discord:role:4242")
    message = answer(helped)
    data = helped.post(component(button_id(message, render.HANDOFF), message, GUILD_USER)).json()["data"]
    assert data["allowed_mentions"] == {"parse": [], "roles": ["4242"], "users": []}


def test_an_unanswered_question_can_be_handed_over(helped: Client) -> None:
    message = answer(helped, question="When does the cafeteria open?")
    assert not any(i.startswith("vote:") for i in ids(message))
    data = helped.post(component(button_id(message, render.HANDOFF), message, GUILD_USER)).json()["data"]
    assert "cafeteria" in data["content"]


def handed_off(client: Client) -> dict:
    message = answer(client)
    data = client.post(component(button_id(message, render.HANDOFF), message, GUILD_USER)).json()["data"]
    return as_posted(data, "msg-handoff")


@pytest.mark.parametrize(
    "who",
    [
        GUILD_USER,  # the asker
        {**GUILD_USER, "member": {"user": {"id": "888"}, "roles": []}},  # a configured user
        {**GUILD_USER, "member": {"user": {"id": "444"}, "roles": ["1", "777"]}},  # has the role
    ],
)
def test_the_asker_or_a_helper_marks_it_resolved(helped: Client, store: SQLiteStore, who: dict) -> None:
    posted = handed_off(helped)
    [resolve_id] = ids(posted)
    done = helped.post(component(resolve_id, posted, who)).json()
    resolver = who["member"]["user"]["id"]
    assert done["type"] == 7 and done["data"]["components"] == []
    assert done["data"]["content"].endswith(f"✅ Resolved by <@{resolver}>")
    assert done["data"]["allowed_mentions"] == {"parse": []}  # the edit pings nobody again
    f = figures(store)
    assert (f.handoffs_open, f.handoffs_resolved) == (0, 1)


def test_others_cannot_resolve_and_it_resolves_once(helped: Client, store: SQLiteStore) -> None:
    posted = handed_off(helped)
    [resolve_id] = ids(posted)
    stranger = {**GUILD_USER, "member": {"user": {"id": "555555"}, "roles": ["1"]}}
    refused = helped.post(component(resolve_id, posted, stranger)).json()
    assert refused["data"]["flags"] == 64 and "Only the person who asked" in refused["data"]["content"]
    assert figures(store).handoffs_open == 1
    assert helped.post(component(resolve_id, posted, GUILD_USER)).json()["type"] == 7
    late = helped.post(component(resolve_id, posted, DM_USER)).json()
    assert late["data"]["flags"] == 64 and "no longer known" in late["data"]["content"]
    assert (
        helped.post(component(f"{render.HANDOFF_RESOLVE}nope!", posted, GUILD_USER)).json()["data"]["flags"]
        == 64
    )
