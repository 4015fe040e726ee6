"""Resolution on Slack over real HTTP: "That answers it", the 👎 reason modal, "Ask a person", "Mark resolved".

Every request is signed and posted to the real web app; Slack's side is the mock Web API.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bench.mock_slack import MockSlack
from bench.slack_signing import signed_headers
from bot.helpers import NO_HELPERS_TEXT
from bot.settings import Settings
from bot.slack import blocks
from bot.store.sqlite import SQLiteStore
from bot.web import create_web_app
from retrieval import Engine
from tests.support.http import Server, running
from tests.support.slack_requests import (
    FORM,
    all_text,
    button,
    click,
    command,
    dm,
    eventually,
    mention,
    post_event,
)

QUESTION = "What is a feature store?"


def answer_in(slack: MockSlack, server: Server, event: dict) -> dict:
    post_event(server, event, event_id=f"Ev-{event['ts']}")
    [reply] = slack.wait_for("chat.postMessage")
    return {"ts": "1700000000.000042", "text": reply.body["text"], "blocks": reply.body["blocks"]}


def figures(store: SQLiteStore):
    # From 1970: the test clicks carry action_ts "1", and a vote is dated by its click.
    now = datetime.now(UTC)
    return store.insight(datetime(1970, 1, 1, tzinfo=UTC), now + timedelta(days=1))


def submit_reason(server: Server, view: dict, choice: str | None, text: str | None, user: str = "U111"):
    """A view_submission payload for the reason modal, as Slack posts it."""
    values: dict = {
        blocks.REASON_BLOCK: {blocks.REASON_CHOICE: {"type": "radio_buttons", "selected_option": None}},
        blocks.REASON_TEXT_BLOCK: {blocks.REASON_TEXT: {"type": "plain_text_input", "value": text}},
    }
    if choice:
        values[blocks.REASON_BLOCK][blocks.REASON_CHOICE]["selected_option"] = {
            "text": {"type": "plain_text", "text": choice},
            "value": choice,
        }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0001"},
        "user": {"id": user},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": "trig2",
        "view": {**view, "id": "V123", "state": {"values": values}},
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    return server.post("/slack/events", body, signed_headers(body, content_type=FORM))


@pytest.fixture
def helpers_server(settings: Settings, engine: Engine, store: SQLiteStore) -> Iterator[Server]:
    configured = settings.model_copy(
        update={"careerbot_helpers": "slack:S0HELP,slack:U0HELPER,discord:role:5"}
    )
    with running(create_web_app(configured, engine, store)) as srv:
        yield srv


def test_every_answer_has_the_four_buttons_and_its_ask_is_recorded(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    message = answer_in(slack, server, mention(f"<@UBOT> {QUESTION}", ts="31.0"))
    ids = {e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert {blocks.VOTE_UP, blocks.VOTE_DOWN, blocks.RESOLVED, blocks.HANDOFF} <= ids
    ask_id = json.loads(button(message["blocks"], blocks.RESOLVED)["value"])["a"]
    ask = eventually(lambda: store.get_ask(ask_id))
    assert ask is not None and ask.platform == "slack" and ask.entry == "mention" and ask.answered
    assert ask.channel == "CGENERAL" and ask.user == "U111" and ask.hits == len(ask.passage_ids) > 0
    # A slash command's answer too, with its own entry point.
    answer = command(server, slack, "/career", "Will ML engineers need to learn DevOps?").json()
    slash_id = json.loads(button(answer["blocks"], blocks.HANDOFF)["value"])["a"]
    assert eventually(lambda: store.get_ask(slash_id)).entry == "command:/career"  # type: ignore[union-attr]


def test_that_answers_it_is_stored_and_confirmed_privately(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    message = answer_in(slack, server, mention(f"<@UBOT> {QUESTION}", ts="32.0"))
    value = button(message["blocks"], blocks.RESOLVED)["value"]
    for n in range(2):  # pressed twice: one mark
        click(server, blocks.RESOLVED, value, slack.response_url("ok"), channel="CGENERAL", message=message)
        slack.wait_for("response:ok", count=n + 1)
    notice = slack.calls_to("response:ok")[-1].body
    assert notice["response_type"] == "ephemeral" and notice["replace_original"] is False
    assert notice["text"] == blocks.ANSWERED_NOTICE
    assert eventually(lambda: figures(store).marked_answered) == 1
    assert figures(store).auto_resolved == 1


def test_a_down_vote_opens_the_reason_modal_and_the_reason_is_stored_with_it(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    message = answer_in(slack, server, dm(QUESTION, ts="33.0"))
    value = button(message["blocks"], blocks.VOTE_DOWN)["value"]
    click(server, blocks.VOTE_DOWN, value, slack.response_url("down"), channel="D111", message=message)
    [opened] = slack.wait_for("views.open")
    assert opened.body["trigger_id"] == "trig"
    view = opened.body["view"]
    if isinstance(view, str):
        view = json.loads(view)
    assert view["callback_id"] == blocks.DOWN_REASON_VIEW
    choices = [o["value"] for o in view["blocks"][0]["element"]["options"]]
    assert choices == ["not_asked", "incomplete", "wrong", "unclear", "other"]
    assert all(b["optional"] for b in view["blocks"])  # the reason is optional
    answer_key = "D111:1700000000.000042"
    eventually(lambda: store.get_vote("slack", answer_key, "U111"))

    reply = submit_reason(server, view, "incomplete", "  I wanted salary numbers <!channel> ")
    assert reply.status == 200 and reply.body in (b"", b"{}")  # ack closes the modal
    stored = eventually(lambda: (v := store.get_vote("slack", answer_key, "U111")) and v.reason and v)
    assert stored.vote == "down" and stored.reason == "incomplete"
    assert stored.reason_text == "I wanted salary numbers <!channel>"  # stored as typed, shown escaped
    assert stored.ask_id == json.loads(value)["a"]
    assert figures(store).reasons == {"incomplete": 1}
    assert figures(store).auto_resolved == 0  # a 👎: not auto-resolved


def test_a_skipped_or_text_only_reason(server: Server, slack: MockSlack, store: SQLiteStore) -> None:
    message = answer_in(slack, server, dm(QUESTION, ts="34.0"))
    value = button(message["blocks"], blocks.VOTE_DOWN)["value"]
    click(server, blocks.VOTE_DOWN, value, slack.response_url("down"), channel="D111", message=message)
    [opened] = slack.wait_for("views.open")
    view = opened.body["view"] if isinstance(opened.body["view"], dict) else json.loads(opened.body["view"])
    key = "D111:1700000000.000042"
    eventually(lambda: store.get_vote("slack", key, "U111"))
    assert submit_reason(server, view, None, None).status == 200  # nothing chosen: the 👎 alone
    assert store.get_vote("slack", key, "U111").reason is None  # type: ignore[union-attr]
    assert submit_reason(server, view, None, "no links to sources").status == 200
    stored = eventually(lambda: (v := store.get_vote("slack", key, "U111")) and v.reason and v)
    assert (stored.reason, stored.reason_text) == ("other", "no links to sources")
    # An up vote opens no modal.
    click(server, blocks.VOTE_UP, value, slack.response_url("up"), channel="D111", message=message)
    slack.wait_for("chat.update", count=2)
    assert len(slack.calls_to("views.open")) == 1


def test_ask_a_person_mentions_only_the_configured_helpers_in_the_thread(
    helpers_server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    # A real broadcast is stripped from the question; typed angle brackets arrive as &lt; &gt;
    # (Slack's escaping), become text, and must never come back out as a mention.
    question = "<!channel> How do I get &lt;@U999&gt; or &lt;!here&gt; to review my résumé?"
    message = answer_in(slack, helpers_server, mention(f"<@UBOT> {question}", ts="35.0"))
    value = button(message["blocks"], blocks.HANDOFF)["value"]
    click(
        helpers_server, blocks.HANDOFF, value, slack.response_url("ask"), channel="CGENERAL", message=message
    )
    posts = slack.wait_for("chat.postMessage", count=2)
    handoff = posts[1].body
    assert handoff["channel"] == "CGENERAL" and handoff["thread_ts"] == "1700000000.000042"
    text = handoff["text"] + all_text(handoff["blocks"])
    assert "<!subteam^S0HELP>" in text and "<@U0HELPER>" in text and "<@U111>" in text
    # Nothing from the question becomes a mention: only our configured ids are < >-wrapped.
    assert "<!channel>" not in text and "<@U999>" not in text and "&lt;@U999&gt;" in text
    assert "&lt;!here&gt;" in text
    assert "<!here>" not in text and "<!everyone>" not in text
    notice = eventually(lambda: slack.calls_to("response:ask"))[-1].body
    assert notice["text"] == blocks.HANDOFF_POSTED
    # Pressed again: one hand-off, nothing posted twice.
    click(
        helpers_server, blocks.HANDOFF, value, slack.response_url("ask"), channel="CGENERAL", message=message
    )
    assert eventually(lambda: len(slack.calls_to("response:ask")) == 2)
    assert slack.calls_to("response:ask")[-1].body["text"] == blocks.HANDOFF_ALREADY
    assert len(slack.calls_to("chat.postMessage")) == 2
    f = figures(store)
    assert (f.handoffs_open, f.handoffs_resolved, f.auto_resolved) == (1, 0, 0)


def test_without_helpers_the_handoff_says_whom_to_ask(server: Server, slack: MockSlack) -> None:
    message = answer_in(slack, server, mention(f"<@UBOT> {QUESTION}", ts="36.0"))
    value = button(message["blocks"], blocks.HANDOFF)["value"]
    click(server, blocks.HANDOFF, value, slack.response_url("ask"), channel="CGENERAL", message=message)
    handoff = slack.wait_for("chat.postMessage", count=2)[1].body
    text = all_text(handoff["blocks"])
    assert blocks.escape(NO_HELPERS_TEXT) in text and "<!subteam" not in text and "<@" not in handoff["text"]
    assert button(handoff["blocks"], blocks.HANDOFF_RESOLVE)  # never a dead end
    assert eventually(lambda: slack.calls_to("response:ask"))[-1].body["text"] == blocks.HANDOFF_NOBODY_POSTED


def test_a_channel_override_picks_other_helpers(
    helpers_server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    store.set_channel_helpers("slack", "CGENERAL", "slack:U0OTHER")
    message = answer_in(slack, helpers_server, mention(f"<@UBOT> {QUESTION}", ts="37.0"))
    value = button(message["blocks"], blocks.HANDOFF)["value"]
    click(
        helpers_server, blocks.HANDOFF, value, slack.response_url("ask"), channel="CGENERAL", message=message
    )
    handoff = slack.wait_for("chat.postMessage", count=2)[1].body
    assert "<@U0OTHER>" in handoff["text"] and "S0HELP" not in handoff["text"]


def test_an_unanswered_question_can_be_handed_over_too(
    helpers_server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    message = answer_in(slack, helpers_server, mention("<@UBOT> When does the cafeteria open?", ts="38.0"))
    ids = {e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert blocks.HANDOFF in ids and blocks.RESOLVED not in ids and blocks.VOTE_UP not in ids
    value = button(message["blocks"], blocks.HANDOFF)["value"]
    click(
        helpers_server, blocks.HANDOFF, value, slack.response_url("ask"), channel="CGENERAL", message=message
    )
    assert "cafeteria" in slack.wait_for("chat.postMessage", count=2)[1].body["text"]


def handed_off(server: Server, slack: MockSlack, ts: str) -> tuple[dict, dict]:
    message = answer_in(slack, server, mention(f"<@UBOT> {QUESTION}", ts=ts))
    value = button(message["blocks"], blocks.HANDOFF)["value"]
    click(server, blocks.HANDOFF, value, slack.response_url("ask"), channel="CGENERAL", message=message)
    handoff = slack.wait_for("chat.postMessage", count=2)[1].body
    return message, {"ts": "1700000000.000077", "text": handoff["text"], "blocks": handoff["blocks"]}


@pytest.mark.parametrize("resolver", ["U111", "U0HELPER", "U0GROUPMEMBER"])
def test_the_asker_or_any_helper_can_mark_it_resolved(
    resolver: str, helpers_server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    slack.usergroups["S0HELP"] = ["U0GROUPMEMBER"]
    _, posted = handed_off(helpers_server, slack, ts="39.0")
    resolve = button(posted["blocks"], blocks.HANDOFF_RESOLVE)
    click(
        helpers_server, blocks.HANDOFF_RESOLVE, resolve["value"], slack.response_url("r"),
        user=resolver, channel="CGENERAL", message=posted,
    )  # fmt: skip
    [update] = slack.wait_for("chat.update")
    assert update.body["ts"] == "1700000000.000077"
    shown = all_text(update.body["blocks"])
    assert f"Resolved by <@{resolver}>" in shown and f'"{blocks.HANDOFF_RESOLVE}"' not in shown
    assert "<!subteam^S0HELP>" in shown  # the message itself is kept
    f = figures(store)
    assert (f.handoffs_open, f.handoffs_resolved) == (0, 1)
    handoff = store.get_handoff(resolve["value"])
    assert handoff is not None and handoff.resolved_by == resolver


def test_others_cannot_mark_it_resolved(helpers_server: Server, slack: MockSlack, store: SQLiteStore) -> None:
    slack.usergroups["S0HELP"] = ["U0GROUPMEMBER"]
    _, posted = handed_off(helpers_server, slack, ts="40.0")
    resolve = button(posted["blocks"], blocks.HANDOFF_RESOLVE)
    click(
        helpers_server, blocks.HANDOFF_RESOLVE, resolve["value"], slack.response_url("x"),
        user="U0STRANGER", channel="CGENERAL", message=posted,
    )  # fmt: skip
    [refused] = slack.wait_for("response:x")
    assert refused.body["text"] == blocks.RESOLVE_REFUSED and refused.body["response_type"] == "ephemeral"
    assert slack.calls_to("chat.update") == []
    assert [c.body.get("usergroup") for c in slack.calls_to("usergroups.users.list")] == ["S0HELP"]
    assert figures(store).handoffs_open == 1
    # Resolved once; a second press says so.
    click(
        helpers_server, blocks.HANDOFF_RESOLVE, resolve["value"], slack.response_url("y"),
        user="U111", channel="CGENERAL", message=posted,
    )  # fmt: skip
    slack.wait_for("chat.update")
    click(
        helpers_server, blocks.HANDOFF_RESOLVE, resolve["value"], slack.response_url("z"),
        user="U0HELPER", channel="CGENERAL", message=posted,
    )  # fmt: skip
    assert slack.wait_for("response:z")[0].body["text"] == blocks.RESOLVE_GONE
