"""Autocomplete (type 4), "Ask careerbot" (a type 2 message command) and Share as a reply,
as signed interactions over real HTTP against the mock REST API."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bot.answering import Answering
from bot.discord import render
from bot.discord.http import interaction_handler
from bot.discord.interactions import InteractionHandler
from bot.discord.rest import DiscordREST
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.support.discord_client import Client, make_settings
from tests.support.discord_payloads import APP_ID, DM_USER, GUILD_USER, as_posted, component, snowflake
from tests.support.http import serve
from tests.support.mock_discord import MockDiscord

TARGET = "867793854505943041"
GUILD_INSTALLED = {"authorizing_integration_owners": {"0": "999"}}
USER_INSTALLED = {"authorizing_integration_owners": {"1": "111"}}


def autocomplete(name: str, typed: str, who: dict, interaction_id: str = "auto1") -> dict:
    return {
        "id": interaction_id,
        "application_id": APP_ID,
        "type": 4,
        "token": "tok-auto",
        "version": 1,
        "data": {
            "id": "c1",
            "name": name,
            "type": 1,
            "options": [{"type": 3, "name": "question", "value": typed, "focused": True}],
        },
        **who,
    }


def message_command(content: str, who: dict, name: str = "Ask careerbot", **extra: object) -> dict:
    """Shaped like discord-api-docs' Message Command Interaction example."""
    target = {
        "id": TARGET,
        "channel_id": "555",
        "author": {"id": "444", "username": "dee", "discriminator": "0", "avatar": None},
        "content": content,
        "attachments": [],
        "embeds": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "tts": False,
        "type": 0,
        "flags": 0,
        "timestamp": "2026-11-22T00:00:00+00:00",
        "edited_timestamp": None,
    }
    return {
        "id": snowflake(),
        "application_id": APP_ID,
        "type": 2,
        "token": "tok-msg",
        "version": 1,
        "data": {
            "id": "c3",
            "name": name,
            "type": 3,
            "target_id": TARGET,
            "resolved": {"messages": {TARGET: target}},
        },
        **who,
        **extra,
    }


def custom_ids(message: dict) -> list[str]:
    """The buttons' ids without the ask id they carry, and without "That answers it" / "Ask a
    person" (tests/discord/test_resolution.py covers those)."""
    ids = [c["custom_id"] for row in message.get("components", []) for c in row["components"]]
    return [re.sub(r":[0-9a-f]{20}$", "", i) for i in ids if not i.startswith("resolve:")]


@pytest.fixture
def ready_client(
    signing_key: SigningKey, discord_api: MockDiscord, engine: Engine, store: SQLiteStore, tmp_path: Path
):
    """The web app, with its suggestions built before the first autocomplete."""
    app = create_web_app(make_settings(signing_key, discord_api, tmp_path), engine, store)
    url, http = serve(app)
    handler = interaction_handler(app)
    assert handler is not None and handler.suggestions.wait(30)
    yield Client(url, signing_key)
    http.shutdown()


def test_autocomplete_offers_questions_the_corpus_answers(ready_client: Client, engine: Engine) -> None:
    for name in ("career", "mle-vs-swe"):
        for who in (GUILD_USER, DM_USER):
            response = ready_client.post(autocomplete(name, "", who))
            assert response.status == 200
            body = response.json()
            assert body["type"] == 8
            choices = body["data"]["choices"]
            assert 1 <= len(choices) <= 25
            assert [c["name"] for c in choices[:3]] == list(engine.example_questions())
            assert all(1 <= len(c["name"]) <= 100 and c["name"] == c["value"] for c in choices)
            assert len(choices) > len(engine.example_questions())  # heading questions too
    typed = ready_client.post(autocomplete("career", "career opp", GUILD_USER)).json()["data"]["choices"]
    assert typed[0]["name"] == "What are the career opportunities?"
    devops = ready_client.post(autocomplete("career", "devo", GUILD_USER)).json()["data"]["choices"]
    assert [c["name"] for c in devops] == ["Will ML engineers need to learn DevOps?"]
    none = ready_client.post(autocomplete("career", "cafeteria menu", GUILD_USER)).json()
    assert none == {"type": 8, "data": {"choices": []}}
    # Every offered question is one the engine answers.
    everything = ready_client.post(autocomplete("career", "", GUILD_USER)).json()["data"]["choices"]
    assert all(engine.ask(c["value"]).answered for c in everything)


def test_autocomplete_with_odd_payloads_still_answers(ready_client: Client) -> None:
    odd = autocomplete("career", "x", GUILD_USER)
    odd["data"]["options"] = [{"type": 3, "name": "question", "value": 5, "focused": True}]
    assert ready_client.post(odd).json()["type"] == 8
    odd["data"]["options"] = []
    assert len(ready_client.post(odd).json()["data"]["choices"]) >= 3
    long = autocomplete("career", "skills " * 400, GUILD_USER)
    assert ready_client.post(long).json()["data"]["choices"]


class HeldEngine:
    """The engine, with ask() held until the test lets it go (the headings are still being asked)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.go = threading.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self.engine, name)

    def ask(self, question: str, top_k: int = 3) -> object:
        assert self.go.wait(30)
        return self.engine.ask(question, top_k)


def test_autocomplete_before_the_heading_questions_are_ready(engine: Engine, store: SQLiteStore) -> None:
    """While the headings are still being asked, the example questions are offered at once."""
    held = HeldEngine(engine)
    handler = InteractionHandler(Answering(held, store))  # type: ignore[arg-type]
    early = handler.handle(autocomplete("career", "", DM_USER)).body["data"]["choices"]
    assert [c["name"] for c in early] == list(engine.example_questions())
    assert not handler.suggestions.ready
    held.go.set()
    assert handler.suggestions.wait(30)
    later = handler.handle(autocomplete("career", "", DM_USER)).body["data"]["choices"]
    assert len(later) > len(early)
    handler.shutdown()


def test_ask_careerbot_answers_the_message_privately_with_share_as_reply(
    ready_client: Client, store: SQLiteStore
) -> None:
    for who in (GUILD_USER, DM_USER):
        body = ready_client.post(
            message_command("Will ML engineers need to learn DevOps? @everyone", who)
        ).json()
        assert body["type"] == 4
        message = body["data"]
        assert message["flags"] == 64  # only the clicker sees it
        assert message["allowed_mentions"] == {"parse": []}
        assert message["content"] == "**Q:** Will ML engineers need to learn DevOps? @\u200beveryone"
        assert "DevOps" in message["embeds"][0]["description"]
        assert custom_ids(message) == ["vote:up", "vote:down", f"share:reply:{TARGET}"]
    unanswerable = ready_client.post(message_command("lunch at noon?", GUILD_USER)).json()["data"]
    assert "nothing good" in unanswerable["content"] and "share:reply" not in json.dumps(unanswerable)
    assert store.feedback_totals().unanswered_questions == ["lunch at noon?"]


def test_ask_careerbot_on_a_message_without_text_or_our_own_answer(ready_client: Client) -> None:
    empty = ready_client.post(message_command("   ", GUILD_USER)).json()["data"]
    assert empty["content"].startswith("That message has no text I can read") and empty["flags"] == 64
    ours = ready_client.post(message_command("**Q:** What is a feature store?\nasked by <@1>", GUILD_USER))
    assert ours.json()["data"]["content"] == "**Q:** What is a feature store?"
    long = ready_client.post(message_command("feature store " * 200, GUILD_USER)).json()["data"]
    assert long["flags"] == 64 and long["content"].startswith("**Q:** feature store")
    other = ready_client.post(message_command("hi", GUILD_USER, name="Other")).json()["data"]
    assert other["content"] == "Unknown command: Other"


def shared(ready_client: Client, who: dict, **extra: object) -> dict:
    """Ask careerbot on TARGET, then click its Share as a reply."""
    answer = ready_client.post(message_command("What is a feature store?", who, **extra)).json()["data"]
    click = component(f"share:reply:{TARGET}", as_posted(answer, "eph-1"), who)
    response = ready_client.post({**click, **extra})
    assert response.status == 200
    return response.json()


def test_share_as_reply_posts_a_reply_once_where_the_bot_is_installed(
    ready_client: Client, discord_api: MockDiscord
) -> None:
    assert shared(ready_client, GUILD_USER, context=0, **GUILD_INSTALLED) == {"type": 6}
    [posted] = discord_api.wait_for("POST", path_contains="/channels/555/messages")
    assert posted.headers["Authorization"].startswith("Bot ")
    assert posted.body["message_reference"] == {
        "message_id": TARGET,
        "channel_id": "555",
        "fail_if_not_exists": False,
    }
    assert posted.body["content"] == "**Q:** What is a feature store?\nasked by <@111>"
    assert posted.body["allowed_mentions"] == {"parse": []} and "flags" not in posted.body
    assert custom_ids(posted.body) == ["vote:up", "vote:down"]  # public: votes, no Share
    # A second click (or a retried delivery) posts nothing more.
    again = shared(ready_client, GUILD_USER, context=0, **GUILD_INSTALLED)
    assert again["type"] == 4 and again["data"]["content"] == "You already shared this answer as a reply."
    assert len([r for r in discord_api.requests if r.method == "POST"]) == 1


def test_share_as_reply_from_a_user_install_is_one_public_follow_up_with_a_link(
    ready_client: Client, discord_api: MockDiscord
) -> None:
    assert shared(ready_client, GUILD_USER, context=0, **USER_INSTALLED) == {"type": 6}
    [follow_up] = discord_api.wait_for("POST", path_contains="/webhooks/")
    assert follow_up.path == f"/api/v10/webhooks/{APP_ID}/tok-def"
    assert "Authorization" not in follow_up.headers
    assert follow_up.body["content"].startswith(
        f"Re: https://discord.com/channels/999/555/{TARGET}\n**Q:** What is a feature store?"
    )
    assert follow_up.body["allowed_mentions"] == {"parse": []}
    assert not [r for r in discord_api.requests if "/channels/" in r.path]  # the bot isn't there


def test_share_as_reply_falls_back_to_a_follow_up_when_the_channel_refuses(
    ready_client: Client, discord_api: MockDiscord
) -> None:
    discord_api.fail("POST", "/channels/555/messages", 403, {"message": "Missing Access", "code": 50001})
    assert shared(ready_client, GUILD_USER, context=0, **GUILD_INSTALLED) == {"type": 6}
    [follow_up] = discord_api.wait_for("POST", path_contains="/webhooks/")
    assert follow_up.body["content"].startswith(f"Re: https://discord.com/channels/999/555/{TARGET}")
    votes_still_work = render.unescape_question(follow_up.body["content"])
    assert votes_still_work == "What is a feature store?"


def test_share_as_reply_in_a_dm_with_the_bot_replies(ready_client: Client, discord_api: MockDiscord) -> None:
    assert shared(ready_client, DM_USER, context=1) == {"type": 6}
    [posted] = discord_api.wait_for("POST", path_contains="/channels/666/messages")
    assert posted.body["message_reference"]["message_id"] == TARGET


def test_share_as_reply_with_a_broken_button_has_expired(ready_client: Client) -> None:
    answer = ready_client.post(message_command("What is a feature store?", GUILD_USER)).json()["data"]
    for custom_id in ("share:reply:", "share:reply:abc", "share:reply:1;DROP"):
        click = component(custom_id, as_posted(answer, "eph-2"), GUILD_USER)
        assert (
            ready_client.post(click).json()["data"]["content"] == "That button has expired. Please ask again."
        )


def test_the_handler_without_rest_answers_inline(
    engine: Engine, store: SQLiteStore, discord_api: MockDiscord
) -> None:
    handler = InteractionHandler(Answering(engine, store), DiscordREST(discord_api.api_url, "t"))
    reply = handler.handle(message_command("What is a feature store?", GUILD_USER))
    assert reply.body["type"] == 4 and reply.after_send is None
    handler.shutdown()
