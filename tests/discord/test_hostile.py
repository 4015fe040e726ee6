"""Hostile or odd interactions over real HTTP: oversized and chunked bodies, replays, deep
nesting, odd custom_ids; votes by click time; a database that is down or deleted."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bot.settings import Settings
from bot.store import open_store
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.pg import Cluster, create_database
from tests.support.discord_client import Client, make_settings
from tests.support.discord_payloads import DM_USER, GUILD_USER, as_posted, command, component, snowflake
from tests.support.http import http_post_chunked, running
from tests.support.mock_discord import MockDiscord

PING = {"type": 1, "id": "p", "application_id": "a", "token": "t", "version": 1}


def _signed_headers(client: Client, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "X-Signature-Ed25519": client.key.sign(ts.encode() + body).signature.hex(),
        "X-Signature-Timestamp": ts,
        "Content-Type": "application/json",
    }


def test_a_chunked_body_over_the_limit_is_refused_unread(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # 20 MB without a Content-Length: the old check let it be read whole.
    with caplog.at_level(logging.WARNING, logger="careerbot.requests"):
        response = http_post_chunked(
            client.url + "/discord/interactions",
            {"Content-Type": "application/json", "X-Signature-Timestamp": "1"},
            b"x" * 65536,
            320,
        )
    assert response.status == 413 and response.json() == {"error": "request body too large"}
    [line] = [r.getMessage() for r in caplog.records if r.name == "careerbot.requests"]
    assert "413" in line and "xxxx" not in line and len(line) < 300


def test_a_signed_chunked_body_within_the_limit_is_answered(client: Client) -> None:
    body = json.dumps(PING).encode()
    response = http_post_chunked(client.url + "/discord/interactions", _signed_headers(client, body), body, 1)
    assert response.status == 200 and response.json() == {"type": 1}


def test_the_limit_is_a_setting(
    signing_key: SigningKey, discord_api: MockDiscord, engine: Engine, store: SQLiteStore, tmp_path: Path
) -> None:
    settings = make_settings(signing_key, discord_api, tmp_path, careerbot_max_body_bytes=2048)
    with running(create_web_app(settings, engine, store)) as server:
        client = Client(server.url, signing_key)
        assert client.post({**PING, "pad": "x" * 1000}).status == 200
        assert client.post({**PING, "pad": "x" * 3000}).status == 413


def test_a_replayed_interaction_is_handled_once(
    client: Client, store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    question = "What is a feature store?"
    message = as_posted(client.post(command("career", question, GUILD_USER)).json()["data"], "m-replay")
    click = component("vote:down", message, GUILD_USER)
    assert client.post(click).json()["type"] == 9  # a 👎 answers with the optional reason modal
    later = component("vote:up", message, GUILD_USER)  # the person changes their mind
    assert client.post(later).json()["type"] == 7
    with caplog.at_level(logging.WARNING, logger="careerbot.requests"):
        replay = client.post(click)  # the same signed request again, within the window
    assert replay.status == 409 and replay.json() == {"error": "interaction already handled"}
    assert store.get_vote("discord", "m-replay", "111").vote == "up"  # type: ignore[union-attr]
    assert any("replayed" in r.getMessage() and "409" in r.getMessage() for r in caplog.records)
    command_payload = command("career", question, DM_USER)
    assert client.post(command_payload).status == 200
    assert client.post(command_payload).status == 409  # a command is not answered twice either
    assert client.post(PING).json() == {"type": 1} and client.post(PING).json() == {"type": 1}


def test_deeply_nested_signed_body_is_a_400(client: Client) -> None:
    for depth in (100_000, 5_000):
        body = '{"type": 2, "data": ' + "[" * depth + "]" * depth + "}"
        response = client.post(body)
        assert response.status == 400, depth
        assert response.json()["error"] in ("body is nested too deeply", "body is not JSON")


def test_signed_non_utf8_body_is_a_400(client: Client) -> None:
    raw = b'{"type": 1, "x": "\xff\xfe"}'
    headers = _signed_headers(client, raw)
    import urllib.request

    request = urllib.request.Request(client.url + "/discord/interactions", raw, headers, method="POST")
    try:
        urllib.request.urlopen(request, timeout=10)
        status = 200
    except urllib.error.HTTPError as exc:
        status = exc.code
    assert status == 400


@pytest.mark.parametrize(
    "custom_id", ["ask:#²", "ask:#٣", "ask:#99999999999999999999", "ask:#-1", "ask:#1.5"]
)
def test_odd_example_custom_ids_say_the_button_expired(client: Client, custom_id: str) -> None:
    response = client.post(component(custom_id, {"id": "m", "content": "hello"}, DM_USER))
    assert response.status == 200
    assert "expired" in response.json()["data"]["content"]


def test_votes_are_ordered_by_click_time_not_arrival(client: Client, store: SQLiteStore) -> None:
    message = as_posted(
        client.post(command("career", "What is a feature store?", GUILD_USER)).json()["data"], "m-order"
    )
    now = time.time()
    first_click = component("vote:up", message, GUILD_USER, interaction_id=snowflake(now - 5))
    second_click = component("vote:down", message, GUILD_USER, interaction_id=snowflake(now - 1))
    client.post(second_click)  # delivered first (another worker was faster)
    client.post(first_click)  # the older click, arriving late, does not overwrite the newer
    assert store.get_vote("discord", "m-order", "111").vote == "down"  # type: ignore[union-attr]
    voted_at = store._execute("SELECT voted_at FROM votes", fetch=True, write=False)[0][0]
    assert abs(voted_at - (now - 1)) < 0.01  # the snowflake's time, not the arrival time


def test_snowflake_click_time() -> None:
    from bot.discord.interactions import click_time
    from bot.discord.protocol import Interaction

    def at(payload: dict) -> datetime | None:
        return click_time(Interaction.model_validate(payload))

    # Discord's documented example: 175928847299117063 was created 2016-04-30 11:18:25.796 UTC.
    assert at({"id": "175928847299117063"}) == datetime(2016, 4, 30, 11, 18, 25, 796000, UTC)
    assert at({"id": "not-a-snowflake"}) is None and at({"id": "²"}) is None
    assert at({}) is None


def test_a_vote_with_postgres_down_says_not_saved_within_three_seconds_and_recovers(
    signing_key: SigningKey,
    discord_api: MockDiscord,
    engine: Engine,
    private_postgres: Cluster,
    tmp_path: Path,
) -> None:
    url = create_database(private_postgres, "votes")
    settings = make_settings(signing_key, discord_api, tmp_path, database_url=url)
    store = open_store(settings)
    with running(create_web_app(settings, engine, store)) as server:
        client = Client(server.url, signing_key)
        message = as_posted(
            client.post(command("career", "What is a feature store?", DM_USER)).json()["data"], "m-pg"
        )
        private_postgres.halt()
        started = time.monotonic()
        response = client.post(component("vote:up", message, DM_USER))
        elapsed = time.monotonic() - started
        labels = [c["label"] for row in response.json()["data"]["components"] for c in row["components"]]
        assert labels[0] == "Vote not saved, try again"
        assert elapsed < 3.0, f"{elapsed:.1f} s: past Discord's three seconds"
        started = time.monotonic()
        answer = client.post(command("career", "What is a feature store?", DM_USER))
        assert answer.status == 200 and "embeds" in answer.json()["data"]  # answered anyway
        assert time.monotonic() - started < 3.0
        private_postgres.resume()
        deadline = time.monotonic() + 60
        while True:  # no restart: the same process saves votes again once the server is back
            response = client.post(component("vote:up", message, DM_USER))
            labels = [c["label"] for row in response.json()["data"]["components"] for c in row["components"]]
            if labels[0] != "Vote not saved, try again":
                break
            assert time.monotonic() < deadline, "votes were never saved again"
        assert store.get_vote("discord", "m-pg", "222") is not None
    store.close()


def test_a_vote_after_the_sqlite_file_was_deleted_is_kept(
    signing_key: SigningKey,
    discord_api: MockDiscord,
    engine: Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(signing_key, discord_api, tmp_path)
    store = open_store(settings)
    with running(create_web_app(settings, engine, store)) as server:
        client = Client(server.url, signing_key)
        message = as_posted(
            client.post(command("career", "What is a feature store?", DM_USER)).json()["data"], "m-del"
        )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings.careerbot_db}{suffix}").unlink(missing_ok=True)
        with caplog.at_level(logging.ERROR, logger="bot.store.sqlite"):
            response = client.post(component("vote:up", message, DM_USER))  # (a 👎 opens the reason modal)
        assert "Your vote: 👍" in json.dumps(response.json(), ensure_ascii=False)
    assert any("was deleted" in r.getMessage() for r in caplog.records)
    fresh = SQLiteStore(settings.careerbot_db)  # what a restarted worker would read
    assert fresh.get_vote("discord", "m-del", "222") is not None
    fresh.close()
    store.close()


def test_settings_has_the_new_fields() -> None:
    settings = Settings(_env_file=None)
    assert settings.careerbot_max_body_bytes == 1_000_000 and settings.careerbot_db_timeout == 1.0
