"""Signed interactions over real HTTP: PING, signatures, commands, buttons, mentions, deferral."""

from __future__ import annotations

import json
import time
from pathlib import Path

from nacl.signing import SigningKey

from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.discord.conftest import APP_ID, Client, make_settings, serve
from tests.discord.mock_discord import MockDiscord
from tests.slack.conftest import http_post

GUILD_USER = {
    "member": {"user": {"id": "111", "username": "ann"}, "roles": []},
    "guild_id": "999",
    "channel_id": "555",
}
DM_USER = {"user": {"id": "222", "username": "bo"}, "channel_id": "666"}


def command(name: str, question: str | None, who: dict, **extra: object) -> dict:
    options = [{"name": "question", "type": 3, "value": question}] if question is not None else []
    return {
        "id": "inter1",
        "application_id": APP_ID,
        "type": 2,
        "token": "tok-abc",
        "data": {"id": "c1", "name": name, "type": 1, "options": options},
        **who,
        **extra,
    }


def component(custom_id: str, message: dict, who: dict) -> dict:
    return {
        "id": "inter2",
        "application_id": APP_ID,
        "type": 3,
        "token": "tok-def",
        "data": {"custom_id": custom_id, "component_type": 2},
        "message": message,
        **who,
    }


def test_ping(client: Client) -> None:
    response = client.post({"type": 1, "id": "p", "application_id": APP_ID})
    assert response.status == 200 and response.json() == {"type": 1}


def test_bad_signatures_are_refused(client: Client) -> None:
    ping = {"type": 1, "id": "p", "application_id": APP_ID}
    assert client.post(ping, key=SigningKey.generate()).status == 401  # wrong key
    assert client.post(command("career", "what is mlops?", GUILD_USER), tamper=True).status == 401
    assert client.post(ping, timestamp=int(time.time()) - 301).status == 401  # stale
    assert client.post(ping, timestamp=int(time.time()) + 301).status == 401  # from the future
    body = json.dumps(ping)
    assert (
        http_post(client.url + "/discord/interactions", body, {"Content-Type": "application/json"}).status
        == 401
    )
    malformed = {"X-Signature-Ed25519": "zz-not-hex", "X-Signature-Timestamp": "yesterday"}
    assert http_post(client.url + "/discord/interactions", body, malformed).status == 401


def test_mle_vs_swe_overview_in_a_server(client: Client) -> None:
    data = client.post(command("mle-vs-swe", None, GUILD_USER)).json()
    assert data["type"] == 4
    message = data["data"]
    assert message["flags"] == 64 and message["allowed_mentions"] == {"parse": []}
    titles = " ".join(e["title"] for e in message["embeds"])
    assert "Responsibilities" in titles and "Career" in titles
    assert all(e["url"].startswith("http") for e in message["embeds"])


def test_career_in_a_dm_and_in_a_server(client: Client) -> None:
    for who in (DM_USER, GUILD_USER):
        data = client.post(command("career", "Will ML engineers need to learn DevOps?", who)).json()
        message = data["data"]
        assert data["type"] == 4 and message["flags"] == 64
        assert "DevOps" in message["embeds"][0]["description"]
        assert message["embeds"][0]["footer"]["text"] == "Nicolas Omont · Dataiku blog"
        ids = [c["custom_id"] for row in message["components"] for c in row["components"]]
        assert ids == ["vote:up", "vote:down", "share"]


def test_no_answer_offers_example_buttons(client: Client, store: SQLiteStore) -> None:
    message = client.post(command("career", "What time does the cafeteria open?", DM_USER)).json()["data"]
    assert "nothing good" in message["content"] and "embeds" not in message
    assert [c["custom_id"] for c in message["components"][0]["components"]] == ["ask:0", "ask:1", "ask:2"]
    assert store.feedback_totals().unanswered_questions == ["What time does the cafeteria open?"]
    answer = client.post(component("ask:2", message, DM_USER)).json()
    assert answer["type"] == 4 and "DevOps" in json.dumps(answer["data"]["embeds"])


def test_votes_flip_and_share_posts_publicly(client: Client, store: SQLiteStore) -> None:
    message = client.post(
        command("career", "Why should an ML engineer understand cost functions?", GUILD_USER)
    ).json()["data"]
    message["id"] = "msg-42"
    up = client.post(component("vote:up", message, GUILD_USER)).json()
    assert up["type"] == 7 and "Your vote: 👍" in json.dumps(up["data"]["components"], ensure_ascii=False)
    down = client.post(component("vote:down", message, GUILD_USER)).json()
    assert "Your vote: 👎" in json.dumps(down["data"]["components"], ensure_ascii=False)
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (0, 1)
    assert totals.downvoted_questions == ["Why should an ML engineer understand cost functions?"]
    shared = client.post(component("share", message, GUILD_USER)).json()
    assert shared["type"] == 4 and "flags" not in shared["data"]
    assert "asked by <@111>" in shared["data"]["content"]
    assert shared["data"]["allowed_mentions"] == {"parse": []}  # the name shows, nobody is pinged
    assert "cost function" in json.dumps(shared["data"]["embeds"])


def test_everyone_in_a_question_never_pings(client: Client) -> None:
    question = "@everyone @here <@&123> what if most of the training data is in English?"
    message = client.post(command("career", question, GUILD_USER)).json()["data"]
    assert message["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in message["content"] and "@here" not in message["content"]
    assert "@\u200beveryone" in message["content"]


def test_discord_only_deployment_refuses_slack_requests(client: Client) -> None:
    response = http_post(client.url + "/slack/events", "{}", {"Content-Type": "application/json"})
    assert response.status == 503 and "SLACK_BOT_TOKEN" in response.json()["error"]


def test_missing_discord_settings_name_the_variable(engine: Engine, store: SQLiteStore) -> None:
    from bot.settings import Settings
    from tests.slack.mock_slack import MockSlack

    with MockSlack() as slack:  # Slack alone: no Discord setting at all
        settings = Settings(
            _env_file=None, slack_bot_token="x", slack_signing_secret="s", slack_api_url=slack.api_url
        )
        url, http = serve(create_web_app(settings, engine, store))
        try:
            response = http_post(url + "/discord/interactions", "{}", {"Content-Type": "application/json"})
            assert response.status == 503 and response.json()["error"].startswith(
                "DISCORD_PUBLIC_KEY is not set"
            )
        finally:
            http.shutdown()


def test_deferred_answer_is_edited_in_through_the_webhook(
    signing_key: SigningKey, discord_api: MockDiscord, engine: Engine, store: SQLiteStore, tmp_path: Path
) -> None:
    settings = make_settings(signing_key, discord_api, tmp_path, discord_defer=True)
    url, http = serve(create_web_app(settings, engine, store))
    try:
        discord_api.rate_limit_next(retry_after=0.2, is_global=True)
        data = Client(url, signing_key).post(command("career", "What is a feature store?", GUILD_USER)).json()
        assert data == {"type": 5, "data": {"flags": 64}}
        edits = discord_api.wait_for("PATCH", count=2)
        assert len(edits) == 2  # the 429, then the retry after retry_after
        assert edits[-1].path == f"/api/v10/webhooks/{APP_ID}/tok-abc/messages/@original"
        assert "feature store" in json.dumps(edits[-1].body["embeds"])
        assert edits[-1].body["allowed_mentions"] == {"parse": []}
        assert "Authorization" not in edits[-1].headers  # webhooks are authorised by their token
    finally:
        http.shutdown()
