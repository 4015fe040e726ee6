"""👍/👎 on answers: stored once per person and answer, shown where only the voter sees it."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.mock_slack import MockSlack
from bot.settings import Settings
from bot.slack import blocks
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.support.http import Server, running
from tests.support.slack_requests import all_text, button, click, command, dm, mention, post_event


def answer_in(slack: MockSlack, server: Server, event: dict) -> dict:
    """Post the event, return the answer as Slack would hand it back in a block_actions payload."""
    post_event(server, event, event_id=f"Ev-{event['ts']}")
    [reply] = slack.wait_for("chat.postMessage")
    return {"ts": "1700000000.000042", "text": reply.body["text"], "blocks": reply.body["blocks"]}


def test_up_then_down_in_a_dm_leaves_one_down_vote_shown_in_place(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    question = "Why should an ML engineer understand cost functions?"
    message = answer_in(slack, server, dm(question, ts="21.0"))
    value = button(message["blocks"], blocks.VOTE_UP)["value"]
    assert json.loads(value)["q"] == question and json.loads(value)["p"]

    click(server, blocks.VOTE_UP, value, slack.response_url("vote"), channel="D111", message=message)
    [update] = slack.wait_for("chat.update")
    assert update.body["channel"] == "D111" and update.body["ts"] == "1700000000.000042"
    shown = all_text(update.body["blocks"])
    assert "your 👍 is recorded" in shown and blocks.VOTE_UP not in shown  # buttons replaced
    assert update.body["blocks"][:2] == message["blocks"][:2]  # the answer itself is kept

    click(server, blocks.VOTE_DOWN, value, slack.response_url("vote"), channel="D111", message=message)
    slack.wait_for("chat.update", count=2)
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (0, 1)
    assert totals.downvoted_questions == [question]
    stored = store.get_vote("slack", "D111:1700000000.000042", "U111")
    assert stored is not None and stored.vote == "down" and stored.question == question
    assert stored.passage_ids == tuple(json.loads(value)["p"]) and len(stored.scores) == len(
        stored.passage_ids
    )


def test_votes_on_a_thread_answer_are_confirmed_privately_and_keep_the_buttons(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    message = answer_in(slack, server, mention("<@UBOT> What is a feature store?", ts="22.0"))
    value = button(message["blocks"], blocks.VOTE_UP)["value"]
    for user, action in (("U111", blocks.VOTE_UP), ("U222", blocks.VOTE_UP), ("U111", blocks.VOTE_DOWN)):
        click(server, action, value, slack.response_url(user), user=user, channel="CGENERAL", message=message)
        slack.wait_for(f"response:{user}", count=2 if (user, action) == ("U111", blocks.VOTE_DOWN) else 1)
    notice = slack.calls_to("response:U111")[-1].body
    assert notice["response_type"] == "ephemeral" and notice["replace_original"] is False
    assert "your 👎 is recorded" in notice["text"]
    assert slack.calls_to("chat.update") == []  # everyone else still sees both buttons
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (1, 1)


def test_vote_on_an_ephemeral_slash_answer_replaces_its_buttons(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    answer = command(server, slack, "/career", "Will ML engineers need to learn DevOps?").json()
    value = button(answer["blocks"], blocks.VOTE_UP)["value"]
    # Slack sends no `message` for an ephemeral one: the answer must be rebuilt, not lost.
    click(server, blocks.VOTE_UP, value, slack.response_url("eph"), ephemeral=True)
    [replaced] = slack.wait_for("response:eph")
    assert replaced.body["replace_original"] is True
    shown = all_text(replaced.body["blocks"])
    assert "DevOps methodology" in shown and "Q: Will ML engineers need to learn DevOps?" in shown
    assert "your 👍 is recorded" in shown and blocks.SHARE in shown
    assert store.feedback_totals().up == 1


class ReadOnlySQLiteStore(SQLiteStore):
    """A real SQLite database that refuses every write (PRAGMA query_only), like a read-only file."""

    def _connection(self) -> sqlite3.Connection:
        conn = super()._connection()
        conn.execute("PRAGMA query_only = ON")
        return conn


@pytest.fixture
def read_only_server(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[Server]:
    SQLiteStore(tmp_path / "ro.db").close()  # the schema exists; from now on nothing is written
    store = ReadOnlySQLiteStore(tmp_path / "ro.db")
    with running(create_web_app(settings, engine, store)) as srv:
        yield srv
    store.close()


def test_a_database_that_refuses_writes_still_answers_and_says_the_vote_was_not_saved(
    read_only_server: Server, slack: MockSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    message = answer_in(slack, read_only_server, dm("What is a feature store?", ts="23.0"))
    assert "feature store" in all_text(message["blocks"])  # answered although no claim was stored
    value = button(message["blocks"], blocks.VOTE_UP)["value"]
    click(read_only_server, blocks.VOTE_UP, value, slack.response_url("v"), channel="D111", message=message)
    [update] = slack.wait_for("chat.update")
    assert "could not be saved" in all_text(update.body["blocks"])
    assert any("not saved" in r.getMessage() for r in caplog.records)
    assert any("could not claim" in r.getMessage() for r in caplog.records)
