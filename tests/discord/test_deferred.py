"""Deferred answers: type 5 now, then the original edited through the webhook on the mock REST API
(429 honoured), a follow-up when the edit fails for good, and deferral only when the answer is slow."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bot.answering import Answering
from bot.discord.interactions import InteractionHandler
from bot.discord.rest import DiscordREST
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Answer, Engine
from tests.support.discord_client import Client, make_settings
from tests.support.discord_payloads import APP_ID, GUILD_USER, as_posted, command, component
from tests.support.http import serve
from tests.support.mock_discord import MockDiscord

EDIT_PATH = f"/api/v10/webhooks/{APP_ID}/tok-abc/messages/@original"


@pytest.fixture
def deferring(
    signing_key: SigningKey, discord_api: MockDiscord, engine: Engine, store: SQLiteStore, tmp_path: Path
) -> Iterator[Client]:
    settings = make_settings(signing_key, discord_api, tmp_path, discord_defer=True)
    url, http = serve(create_web_app(settings, engine, store))
    yield Client(url, signing_key)
    http.shutdown()


def test_deferred_answer_is_edited_in_after_a_global_429(deferring: Client, discord_api: MockDiscord) -> None:
    discord_api.rate_limit_next(retry_after=0.05, is_global=True)
    data = deferring.post(command("career", "What is a feature store?", GUILD_USER)).json()
    assert data == {"type": 5, "data": {"flags": 64}}  # "thinking…", visible to the asker only
    edits = discord_api.wait_for("PATCH", count=2)
    assert len(edits) == 2  # the 429, then the same edit again after retry_after
    assert all(e.path == EDIT_PATH for e in edits)
    body = edits[-1].body
    assert body["content"] == "**Q:** What is a feature store?"
    assert "feature store" in json.dumps(body["embeds"]) and body["allowed_mentions"] == {"parse": []}
    assert "flags" not in body  # the deferral already made it ephemeral
    assert [c["custom_id"] for row in body["components"] for c in row["components"]][-1] == "share"
    assert "Authorization" not in edits[-1].headers  # the interaction token authorises webhooks
    assert discord_api.wait_for("POST", count=0) == []  # no follow-up needed


def test_deferred_share_is_public(deferring: Client, discord_api: MockDiscord) -> None:
    discord_api.requests.clear()
    message = {"id": "m9", "flags": 64, "content": "**Q:** What is a feature store?"}
    data = deferring.post(component("share", message, GUILD_USER)).json()
    assert data == {"type": 5, "data": {}}  # public "thinking…"
    [edit] = discord_api.wait_for("PATCH")
    assert edit.path == f"/api/v10/webhooks/{APP_ID}/tok-def/messages/@original"
    assert edit.body["content"].endswith("asked by <@111>") and edit.body["allowed_mentions"] == {"parse": []}


def test_failed_edit_becomes_a_follow_up_and_the_app_keeps_serving(
    deferring: Client, discord_api: MockDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    discord_api.fail("PATCH", "/messages/@original", 400, {"message": "Invalid Form Body", "code": 50035})
    with caplog.at_level(logging.ERROR, logger="bot.discord.interactions"):
        assert (
            deferring.post(command("career", "What is a feature store?", GUILD_USER, "inter1")).json()["type"]
            == 5
        )
        [followup] = discord_api.wait_for("POST", path_contains="/webhooks/")
        assert followup.path == f"/api/v10/webhooks/{APP_ID}/tok-abc"
        assert followup.body["content"] == "Sorry, I couldn't post the answer. Please try again."
        assert followup.body["flags"] == 64 and followup.body["allowed_mentions"] == {"parse": []}
    failures = [r.getMessage() for r in caplog.records]
    assert any("interaction inter1" in m and "HTTP 400 Invalid Form Body" in m for m in failures)
    assert not any("tok-abc" in m or "bot-token-secret" in m for m in failures)  # no secrets in logs
    assert deferring.post({"type": 1, "id": "p", "application_id": APP_ID}).json() == {"type": 1}


def test_rate_limited_for_good_is_logged_with_the_interaction_id(
    deferring: Client, discord_api: MockDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    discord_api.rate_limit_next(retry_after=0.01, is_global=True, times=10)
    with caplog.at_level(logging.ERROR, logger="bot.discord.interactions"):
        assert (
            deferring.post(command("career", "What is a feature store?", GUILD_USER, "inter1")).json()["type"]
            == 5
        )
        discord_api.wait_for("POST", path_contains="/webhooks/")
        # Three edits (bounded), then one follow-up that is also refused; the last log line says so.
        assert len(discord_api.wait_for("PATCH", count=3)) == 3
        assert _wait_for_log(caplog, "the follow-up failed too")
    assert any(
        "interaction inter1" in r.getMessage() and "rate limited" in r.getMessage() for r in caplog.records
    )
    assert deferring.post({"type": 1, "id": "p", "application_id": APP_ID}).json() == {"type": 1}


def _wait_for_log(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 10.0) -> bool:
    done = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if any(text in r.getMessage() for r in caplog.records):
            return True
        done.wait(0.02)
    return False


class GatedEngine:
    """The real engine, whose ask() waits until the test opens the gate (a slow answer)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.gate = threading.Event()

    def ask(self, question: str, top_k: int = 3) -> Answer:
        assert self.gate.wait(10), "the test never opened the gate"
        return self._engine.ask(question, top_k)

    def __getattr__(self, name: str) -> object:
        return getattr(self._engine, name)


def test_answers_are_deferred_only_when_slow(
    engine: Engine, store: SQLiteStore, discord_api: MockDiscord
) -> None:
    gated = GatedEngine(engine)
    rest = DiscordREST(discord_api.api_url)
    handler = InteractionHandler(Answering(gated, store), rest, defer_after=0.05)  # type: ignore[arg-type]
    payload = command("career", "What is a feature store?", GUILD_USER)

    slow = handler.handle(payload)
    assert slow.body == {"type": 5, "data": {"flags": 64}} and slow.after_send is not None
    assert discord_api.wait_for("PATCH", timeout=0.1) == []  # nothing is edited before the response is sent
    slow.after_send()  # the web layer calls this once the type 5 has gone out
    gated.gate.set()  # now the answer arrives
    [edit] = discord_api.wait_for("PATCH")
    assert edit.path == EDIT_PATH and "feature store" in json.dumps(edit.body["embeds"])

    fast = handler.handle(payload)  # the gate is open: the answer is ready at once
    assert fast.body["type"] == 4 and fast.after_send is None
    assert fast.body["data"]["embeds"] == edit.body["embeds"]

    gated.gate.clear()
    late = handler.handle(payload)  # slow again, and the process is told to stop meanwhile
    assert late.body["type"] == 5 and late.after_send is not None
    stopping = threading.Thread(target=handler.shutdown)  # drain: waits for acknowledged answers
    stopping.start()
    gated.gate.set()
    late.after_send()  # the response went out during shutdown: the answer is still delivered
    stopping.join(10)
    assert len(discord_api.wait_for("PATCH", count=2)) == 2


def test_without_a_rest_client_answers_are_always_immediate(engine: Engine, store: SQLiteStore) -> None:
    handler = InteractionHandler(Answering(engine, store), None, defer=True)
    reply = handler.handle(command("career", "What is a feature store?", GUILD_USER))
    assert reply.body["type"] == 4 and reply.after_send is None
    vote = handler.handle(component("vote:up", as_posted(reply.body["data"], "m1"), GUILD_USER))
    assert vote.body["type"] == 7
