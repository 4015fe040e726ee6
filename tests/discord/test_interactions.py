"""Signed interactions over real HTTP: PING, signatures, commands in both shapes, buttons, pings."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bot.discord.verify import verify_request
from bot.settings import Settings
from bot.store import StoreError, VoteRecord
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.support.discord_client import Client, make_settings
from tests.support.discord_payloads import (
    APP_ID,
    DM_USER,
    GUILD_USER,
    OTHER_GUILD_USER,
    as_posted,
    command,
    component,
)
from tests.support.http import http_get, http_post, serve
from tests.support.mock_discord import MockDiscord

PING = {"type": 1, "id": "p", "application_id": APP_ID, "token": "t", "version": 1}


def custom_ids(message: dict) -> list[str]:
    """The buttons' ids without the ask id they carry, and without "That answers it" / "Ask a
    person" (tests/discord/test_resolution.py covers those)."""
    ids = [c["custom_id"] for row in message.get("components", []) for c in row["components"]]
    return [re.sub(r":[0-9a-f]{20}$", "", i) for i in ids if not i.startswith("resolve:")]


def test_ping_is_answered_pong(client: Client) -> None:
    response = client.post(PING)
    assert response.status == 200 and response.json() == {"type": 1}


def test_bad_signatures_are_refused_and_good_ones_still_work(client: Client) -> None:
    url = client.url + "/discord/interactions"
    now = int(time.time())
    assert client.post(PING, key=SigningKey.generate()).status == 401  # wrong key
    assert client.post(command("career", "what is mlops?", GUILD_USER), tamper=True).status == 401
    # Over HTTP, a clear margin either side of the five minutes (the boundary itself is tested
    # through the verifier with a fixed clock): a second rolling over cannot change the result.
    assert client.post(PING, timestamp=now - 400).status == 401  # too old
    assert client.post(PING, timestamp=now + 400).status == 401  # from the future
    assert client.post(PING, timestamp=now - 200).status == 200  # late, but within the window
    body = json.dumps(PING)
    signature = client.key.sign(str(now).encode() + body.encode()).signature.hex()
    no_headers = {"Content-Type": "application/json"}
    for headers in (
        no_headers,
        {**no_headers, "X-Signature-Timestamp": str(now)},  # no signature
        {**no_headers, "X-Signature-Ed25519": signature},  # no timestamp
        {**no_headers, "X-Signature-Ed25519": "zz-not-hex", "X-Signature-Timestamp": str(now)},
        {**no_headers, "X-Signature-Ed25519": signature[:-2], "X-Signature-Timestamp": str(now)},  # short
        {**no_headers, "X-Signature-Ed25519": signature, "X-Signature-Timestamp": "yesterday"},
        # A valid signature replayed under another timestamp:
        {**no_headers, "X-Signature-Ed25519": signature, "X-Signature-Timestamp": str(now - 1)},
    ):
        response = http_post(url, body, headers)
        assert response.status == 401, headers
        assert response.json() == {"error": "invalid request signature"}
    good = {**no_headers, "X-Signature-Ed25519": signature, "X-Signature-Timestamp": str(now)}
    assert http_post(url, body, good).json() == {"type": 1}


def test_the_five_minute_window_boundary_through_the_verifier(signing_key: SigningKey) -> None:
    public = signing_key.verify_key.encode().hex()
    sent, body = 1_700_000_000, b'{"type": 1}'
    signature = signing_key.sign(str(sent).encode() + body).signature.hex()
    for now, valid in (
        (sent + 300.0, True),  # exactly five minutes: still accepted
        (sent + 300.001, False),
        (sent - 300.0, True),
        (sent - 300.001, False),  # a clock five minutes behind the sender's
    ):
        assert verify_request(public, signature, str(sent), body, now=now) is valid, now


def test_signed_garbage_is_a_clear_400(client: Client) -> None:
    response = client.post("not json at all")
    assert response.status == 400 and response.json() == {"error": "body is not JSON"}
    assert client.post("[1, 2]").status == 400


def test_an_absurdly_large_body_is_refused_unread(client: Client) -> None:
    response = client.post({**PING, "padding": "x" * 1_100_000})
    assert response.status == 413 and response.json() == {"error": "request body too large"}


def test_mle_vs_swe_overview_in_a_server_and_a_dm(client: Client) -> None:
    for who in (GUILD_USER, DM_USER):
        data = client.post(command("mle-vs-swe", None, who)).json()
        assert data["type"] == 4
        message = data["data"]
        assert message["flags"] == 64 and message["allowed_mentions"] == {"parse": []}
        titles = [e["title"] for e in message["embeds"]]
        assert [t.split(":")[0] for t in titles] == [
            "Responsibilities",
            "Problem space",
            "Development process",
            "Skills",
            "Career",
        ]
        assert all(
            e["url"].startswith(("http://", "https://")) and e["description"] for e in message["embeds"]
        )


def test_mle_vs_swe_with_a_question_answers_it(client: Client) -> None:
    message = client.post(
        command("mle-vs-swe", "Do ML engineers do more math or more coding?", DM_USER)
    ).json()["data"]
    assert message["content"].startswith("**Q:** Do ML engineers do more math")
    assert message["embeds"] and custom_ids(message) == ["vote:up", "vote:down", "share"]


def test_career_in_a_dm_and_in_a_server(client: Client) -> None:
    for who in (DM_USER, GUILD_USER):
        data = client.post(command("career", "Will ML engineers need to learn DevOps?", who)).json()
        message = data["data"]
        assert data["type"] == 4 and message["flags"] == 64
        first = message["embeds"][0]
        assert "DevOps" in first["description"]
        assert first["footer"]["text"] == "Nicolas Omont · Dataiku blog"
        assert first["url"].startswith("https://") and first["title"]
        assert custom_ids(message) == ["vote:up", "vote:down", "share"]
        assert message["allowed_mentions"] == {"parse": []}


def test_a_question_the_engine_refuses_gets_one_kind_line(client: Client) -> None:
    message = client.post(command("career", "x" * 1500, DM_USER)).json()["data"]
    assert message["content"].startswith("I couldn't read that as a question: The question is too long")
    assert message["flags"] == 64 and "\n" not in message["content"]


def test_no_answer_offers_example_buttons_that_answer(
    client: Client, store: SQLiteStore, engine: Engine
) -> None:
    message = client.post(command("career", "What time does the cafeteria open?", DM_USER)).json()["data"]
    assert "nothing good" in message["content"] and "embeds" not in message
    examples = engine.example_questions()
    assert custom_ids(message) == [f"ask:{q}" for q in examples]
    assert [b["label"] for b in message["components"][0]["components"]] == list(examples)
    assert store.feedback_totals().unanswered_questions == ["What time does the cafeteria open?"]
    answer = client.post(component(f"ask:{examples[2]}", as_posted(message, "m-no"), DM_USER)).json()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert answer["data"]["content"] == f"**Q:** {examples[2]}"
    assert "DevOps" in json.dumps(answer["data"]["embeds"])


def test_votes_flip_on_an_ephemeral_answer(client: Client, store: SQLiteStore) -> None:
    question = "Why should an ML engineer understand cost functions?"
    message = as_posted(client.post(command("career", question, GUILD_USER)).json()["data"], "msg-42")
    up = client.post(component("vote:up", message, GUILD_USER)).json()
    assert up["type"] == 7 and up["data"]["allowed_mentions"] == {"parse": []}
    assert "Your vote: 👍" in json.dumps(up["data"]["components"], ensure_ascii=False)
    assert custom_ids(up["data"]) == ["vote:recorded", "vote:down"]  # the way to change it
    down = client.post(component("vote:down", message, GUILD_USER)).json()
    assert down["type"] == 9  # the optional reason; skipping it keeps the 👎
    submitted = client.post(
        {
            **component("x", message, GUILD_USER),
            "type": 5,
            "data": {"custom_id": down["data"]["custom_id"], "components": []},
        }
    ).json()
    assert "Your vote: 👎" in json.dumps(submitted["data"]["components"], ensure_ascii=False)
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (0, 1)  # one person, one vote: the second click replaced it
    assert totals.downvoted_questions == [question]
    stored = store.get_vote("discord", "msg-42", "111")
    assert stored is not None and stored.vote == "down" and stored.channel == "555"
    assert stored.passage_ids and len(stored.passage_ids) == len(stored.scores) == len(message["embeds"])


def test_share_posts_publicly_naming_the_asker_without_a_ping(client: Client) -> None:
    message = as_posted(
        client.post(command("career", "What is a feature store?", GUILD_USER)).json()["data"], "msg-7"
    )
    shared = client.post(component("share", message, GUILD_USER)).json()
    assert shared["type"] == 4 and "flags" not in shared["data"]  # public
    assert shared["data"]["content"] == "**Q:** What is a feature store?\nasked by <@111>"
    # The mention renders as the asker's name; parse [] (and no "users" list) means nobody is pinged.
    assert shared["data"]["allowed_mentions"] == {"parse": []}
    assert shared["data"]["embeds"] == message["embeds"]
    assert custom_ids(shared["data"]) == ["vote:up", "vote:down"]  # nothing left to share


def test_votes_on_a_shared_answer_are_private_and_per_person(client: Client, store: SQLiteStore) -> None:
    message = as_posted(
        client.post(command("career", "What is a feature store?", GUILD_USER)).json()["data"], "msg-7"
    )
    public = as_posted(client.post(component("share", message, GUILD_USER)).json()["data"], "msg-public")
    first = client.post(component("vote:up", public, GUILD_USER)).json()
    # The shared message is everyone's: the voter is told privately, the buttons stay for the others.
    assert (
        first["type"] == 4 and first["data"]["flags"] == 64 and "👍 is recorded" in first["data"]["content"]
    )
    client.post(component("vote:down", public, OTHER_GUILD_USER))
    client.post(component("vote:up", public, OTHER_GUILD_USER))  # cy changes their mind
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (2, 0)
    assert store.get_vote("discord", "msg-public", "333").vote == "up"  # type: ignore[union-attr]


class BrokenVotes:
    """The real store, except that votes can't be written (a full or read-only database)."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    def record_vote(self, vote: VoteRecord, now: object = None) -> None:
        raise StoreError("SQLite database d.db (CAREERBOT_DB): database or disk is full")

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def test_a_vote_that_cannot_be_saved_says_so(
    signing_key: SigningKey, discord_api: MockDiscord, engine: Engine, store: SQLiteStore, tmp_path: Path
) -> None:
    app = create_web_app(make_settings(signing_key, discord_api, tmp_path), engine, BrokenVotes(store))  # type: ignore[arg-type]
    url, http = serve(app)
    try:
        client = Client(url, signing_key)
        message = as_posted(
            client.post(command("career", "What is a feature store?", DM_USER)).json()["data"], "m"
        )
        ephemeral = client.post(component("vote:up", message, DM_USER)).json()
        assert ephemeral["type"] == 7
        labels = [c["label"] for row in ephemeral["data"]["components"] for c in row["components"]]
        assert labels[0] == "Vote not saved, try again" and custom_ids(ephemeral["data"])[1] == "vote:up"
        public = client.post(component("vote:down", {**message, "flags": 0}, DM_USER)).json()
        assert public["type"] == 4 and "wasn't saved" in public["data"]["content"]
        assert store.feedback_totals().down == 0
    finally:
        http.shutdown()


def test_everyone_in_a_question_never_pings(client: Client) -> None:
    question = "@everyone @here <@&123> what if most of the training data is in English?"
    message = client.post(command("career", question, GUILD_USER)).json()["data"]
    assert message["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in message["content"] and "@here" not in message["content"]
    assert "@\u200beveryone" in message["content"]
    shared = client.post(component("share", as_posted(message, "m1"), GUILD_USER)).json()["data"]
    assert shared["allowed_mentions"] == {"parse": []} and "@everyone" not in shared["content"]


def test_everyone_and_markdown_in_a_passage_never_ping(
    signing_key: SigningKey, discord_api: MockDiscord, store: SQLiteStore, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pings.md").write_text(
        "---\nid: pings\ntitle: Kubernetes for *ML* engineers\nurl: https://example.test/k8s\n"
        "authors:\n- Dee @everyone\nsite: Example\n---\n\n"
        "Kubernetes clusters schedule model training jobs @everyone <@&999> and **serve** "
        "[models](https://evil.test) for every machine learning engineer.\n\n"
        "Gardening tips for tomatoes and basil in a sunny window box.\n"
    )
    engine = Engine.from_corpus(corpus)
    url, http = serve(create_web_app(make_settings(signing_key, discord_api, tmp_path), engine, store))
    try:
        data = (
            Client(url, signing_key)
            .post(command("career", "How do kubernetes clusters schedule training jobs?", GUILD_USER))
            .json()
        )
        embed = data["data"]["embeds"][0]
        assert data["data"]["allowed_mentions"] == {"parse": []}
        assert "@everyone" not in json.dumps(data, ensure_ascii=False)
        assert "@\u200beveryone \\<@\u200b&999\\>" in embed["description"]
        assert "\\*\\*serve\\*\\* \\[models\\](https://evil.test)" in embed["description"]  # no masked link
        assert embed["title"] == "Kubernetes for \\*ML\\* engineers"
        assert embed["footer"]["text"] == "Dee @\u200beveryone · Example"
    finally:
        http.shutdown()


def test_unknown_commands_types_and_buttons_get_a_polite_line(client: Client) -> None:
    assert (
        "Unknown command: /weather" in client.post(command("weather", "x", DM_USER)).json()["data"]["content"]
    )
    odd = client.post({**PING, "type": 99}).json()  # 5 (a modal) is ours now: see test_resolution.py
    assert odd["type"] == 4 and "can't handle" in odd["data"]["content"]
    for custom_id in ("ask:#99", "ask:#x", "ask:", "nonsense", "share"):
        expired = client.post(component(custom_id, {"id": "m", "content": "hello"}, DM_USER)).json()
        assert "expired" in expired["data"]["content"] and expired["data"]["flags"] == 64


def test_discord_only_deployment_refuses_slack_but_serves_health(client: Client) -> None:
    response = http_post(client.url + "/slack/events", "{}", {"Content-Type": "application/json"})
    assert response.status == 503 and "SLACK_BOT_TOKEN" in response.json()["error"]
    assert http_get(client.url + "/healthz").status == 200


def test_missing_discord_settings_name_the_variable(
    engine: Engine, store: SQLiteStore, tmp_path: Path
) -> None:
    from bench.mock_slack import MockSlack

    with MockSlack() as slack:  # Slack alone: no Discord setting at all
        slack_only = dict(slack_bot_token="x", slack_signing_secret="s", slack_api_url=slack.api_url)
        for extra, variable in (
            ({}, "DISCORD_PUBLIC_KEY is not set"),
            ({"discord_public_key": "ab" * 32}, "DISCORD_APPLICATION_ID is not set"),
        ):
            settings = Settings(_env_file=None, careerbot_db=tmp_path / "s.db", **slack_only, **extra)
            url, http = serve(create_web_app(settings, engine, store))
            try:
                response = http_post(
                    url + "/discord/interactions", "{}", {"Content-Type": "application/json"}
                )
                assert response.status == 503
                error = response.json()["error"]
                assert error.startswith(variable) and "\n" not in error
            finally:
                http.shutdown()


def test_commands_log_one_answer_line_without_the_token_or_question(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="careerbot.answers")
    assert client.post(command("career", "What is a feature store?", GUILD_USER)).status == 200
    [line] = [r.getMessage() for r in caplog.records if r.name == "careerbot.answers"]
    assert line.startswith("platform=discord entry=command:/career answered=True hits=")
    assert "tok-abc" not in line and "feature store" not in line
