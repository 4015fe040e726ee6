""" "Ask careerbot" (a message shortcut) and follow-ups in channel threads, over real HTTP.

The shortcut payload is shaped like bolt-python's tests/scenario_tests/test_shortcut.py
(message_action); follow-ups are message events in a thread, as Slack sends them.
"""

from __future__ import annotations

import json
import urllib.parse

from bench.mock_slack import MockSlack
from bench.slack_signing import signed_headers
from bot.slack import blocks
from bot.slack.values import VoteValue
from bot.store.sqlite import SQLiteStore
from tests.support.http import Response, Server
from tests.support.slack_requests import FORM, all_text, button, click, eventually, mention, post_event

MESSAGE_TS = "1583636382.000300"
FIRST = "What does a machine learning engineer do day to day?"


def shortcut(
    server: Server, slack: MockSlack, text: str, *, thread_ts: str | None = None, user: str = "U111"
) -> Response:
    message = {"type": "message", "text": text, "user": "U999", "ts": MESSAGE_TS, "team": "T0001"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    payload = {
        "type": "message_action",
        "token": "legacy",
        "action_ts": "1583637157.207593",
        "team": {"id": "T0001", "domain": "test"},
        "user": {"id": user, "name": "asker"},
        "channel": {"id": "CGENERAL", "name": "general"},
        "callback_id": blocks.ASK_SHORTCUT,
        "trigger_id": "111.222.xxx",
        "message_ts": MESSAGE_TS,
        "message": message,
        "response_url": slack.response_url("shortcut"),
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    return server.post("/slack/events", body, signed_headers(body, content_type=FORM))


def channel_message(text: str, ts: str, thread_ts: str, user: str = "U222", **extra: object) -> dict:
    return {
        "type": "message",
        "channel": "CGENERAL",
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        **extra,
    }


def passages(call_blocks: list[dict]) -> set[str]:
    return {
        b["text"]["text"] for b in call_blocks if b["type"] == "section" and b["text"]["text"].startswith(">")
    }


def test_ask_careerbot_answers_privately_and_shares_in_the_thread_once(
    server: Server, slack: MockSlack
) -> None:
    response = shortcut(server, slack, "<@U222> Will ML engineers need to learn DevOps? <!here>")
    assert response.status == 200
    [private] = slack.wait_for("response:shortcut")
    assert private.body["response_type"] == "ephemeral" and private.body.get("replace_original") is False
    text = all_text(private.body["blocks"])
    assert "DevOps" in text and "<!here>" not in text and "U222" not in text
    share = button(private.body["blocks"], blocks.SHARE_IN_THREAD)
    assert json.loads(share["value"]) == {
        "q": "Will ML engineers need to learn DevOps?",  # as the engine read it: markup gone
        "c": "CGENERAL",
        "t": MESSAGE_TS,
    }
    ephemeral = {"ts": "1700000000.000009", "text": "answer", "blocks": private.body["blocks"]}
    for _ in range(2):  # a double click shares once
        click(
            server,
            blocks.SHARE_IN_THREAD,
            share["value"],
            slack.response_url("share"),
            channel="CGENERAL",
            message=ephemeral,
            ephemeral=True,
        )
    [posted] = slack.wait_for("chat.postMessage")
    assert posted.body["channel"] == "CGENERAL" and posted.body["thread_ts"] == MESSAGE_TS
    assert "<@U111> asked" in all_text(posted.body["blocks"]) and "<!here>" not in all_text(
        posted.body["blocks"]
    )
    [done] = slack.wait_for("response:share")
    assert done.body["text"] == "Shared in the thread." and done.body["response_type"] == "ephemeral"
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 1
    # Sharing made it a thread the bot answered in: the next message there is a follow-up.
    post_event(
        server,
        channel_message("do they write tests?", "1583636400.000001", MESSAGE_TS),
        event_id="EvF1",
    )
    follow = slack.wait_for("chat.postMessage", count=2)[1]
    assert follow.body["thread_ts"] == MESSAGE_TS
    assert not passages(follow.body["blocks"]) & passages(posted.body["blocks"])


def test_ask_careerbot_in_a_thread_shares_to_that_thread_and_refusals_are_explained(
    server: Server, slack: MockSlack
) -> None:
    shortcut(server, slack, "What is a feature store?", thread_ts="1583636000.000100")
    [private] = slack.wait_for("response:shortcut")
    share = button(private.body["blocks"], blocks.SHARE_IN_THREAD)
    assert json.loads(share["value"])["t"] == "1583636000.000100"  # the message's own thread
    slack.fail_with("chat.postMessage", "not_in_channel")
    click(
        server,
        blocks.SHARE_IN_THREAD,
        share["value"],
        slack.response_url("share"),
        channel="CGENERAL",
        ephemeral=True,
    )
    [refused] = slack.wait_for("response:share")
    assert refused.body["text"].startswith("I can't post in that conversation: invite me first")
    click(
        server,
        blocks.SHARE_IN_THREAD,
        "not json",
        slack.response_url("bad"),
        channel="CGENERAL",
        ephemeral=True,
    )
    [expired] = slack.wait_for("response:bad")
    assert expired.body["text"] == "That button has expired. Please ask again."


def test_ask_careerbot_on_a_message_without_text_or_without_an_answer(
    server: Server, slack: MockSlack
) -> None:
    shortcut(server, slack, "   ")
    [empty] = slack.wait_for("response:shortcut")
    assert empty.body["text"].startswith("That message has no text I can read")
    shortcut(server, slack, "when does the cafeteria open?")
    unanswered = slack.wait_for("response:shortcut", count=2)[1]
    assert "nothing good" in all_text(unanswered.body["blocks"])
    assert blocks.SHARE_IN_THREAD not in all_text(unanswered.body["blocks"])


def test_follow_ups_in_a_thread_the_bot_answered_and_nowhere_else(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    root = "1700000100.000100"
    post_event(server, mention(f"<@UBOT> {FIRST}", ts=root), event_id="EvM1")
    first = slack.wait_for("chat.postMessage")[0]
    # Followed from just after the answer is posted: wait for the store, so the checks below
    # test a followed thread.
    assert eventually(lambda: store.get_thread("slack", f"CGENERAL:{root}") is not None)
    assert first.body["thread_ts"] == root
    # Not a thread we answered in, a top-level message, a bot, ourselves, an edit: nothing.
    post_event(
        server,
        channel_message("do they need to learn devops?", "1700000200.000001", "1700000999.000001"),
        event_id="EvN1",
    )
    post_event(
        server,
        {**channel_message("do they need to learn devops?", "1700000200.000002", root), "thread_ts": None},
        event_id="EvN2",
    )
    post_event(
        server,
        channel_message("do they need to learn devops?", "1700000200.000003", root, bot_id="B9"),
        event_id="EvN3",
    )
    post_event(
        server,
        channel_message("do they need to learn devops?", "1700000200.000004", root, user="UBOT"),
        event_id="EvN4",
    )
    post_event(
        server,
        channel_message(
            "do they need to learn devops?", "1700000200.000005", root, subtype="message_changed"
        ),
        event_id="EvN5",
    )
    post_event(
        server, channel_message("thanks, makes sense!", "1700000200.000006", root), event_id="EvN6"
    )  # chatter
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 1
    # Anyone's next question in the thread: answered in it, without a mention, nothing repeated.
    follow = channel_message("do they need to learn devops?", "1700000300.000001", root)
    post_event(server, follow, event_id="EvF1")
    post_event(server, follow, event_id="EvF1", retry=1)  # Slack's retry: answered once
    second = slack.wait_for("chat.postMessage", count=2)[1]
    assert second.body["channel"] == "CGENERAL" and second.body["thread_ts"] == root
    assert "devops" in all_text(second.body["blocks"]).lower()
    assert not passages(second.body["blocks"]) & passages(first.body["blocks"])
    # The follow-up is an ask of its own: its buttons carry its id, and it is recorded.
    ask_id = VoteValue.decode(button(second.body["blocks"], blocks.RESOLVED)["value"]).ask_id
    assert (
        ask_id and ask_id != VoteValue.decode(button(first.body["blocks"], blocks.RESOLVED)["value"]).ask_id
    )
    recorded = eventually(lambda: store.get_ask(ask_id))
    assert recorded is not None
    assert (recorded.entry, recorded.channel, recorded.user, recorded.question) == (
        "followup",
        "CGENERAL",
        "U222",
        "do they need to learn devops?",
    )
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 2
    # A message that mentions us in the thread arrives as app_mention too: the message copy is skipped.
    post_event(
        server,
        channel_message("<@UBOT> what about their skills?", "1700000400.000001", root),
        event_id="EvF2",
    )
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 2
    post_event(
        server,
        mention("<@UBOT> what about their skills?", ts="1700000400.000001", thread_ts=root),
        event_id="EvF3",
    )
    third = slack.wait_for("chat.postMessage", count=3)[2]
    assert third.body["thread_ts"] == root
    shown = [passages(c.body["blocks"]) for c in slack.calls_to("chat.postMessage")]
    assert sum(len(s) for s in shown) == len(set().union(*shown))  # no passage twice in the thread


def test_follow_ups_stop_after_the_cap(
    server: Server, slack: MockSlack, settings, engine, store, tmp_path
) -> None:
    from bot.web import create_web_app
    from tests.support.http import running

    capped = settings.model_copy(update={"careerbot_followup_answers": 1})
    with running(create_web_app(capped, engine, store)) as srv:
        root = "1700000100.000200"
        post_event(srv, mention(f"<@UBOT> {FIRST}", ts=root), event_id="EvC1")
        slack.wait_for("chat.postMessage")
        assert eventually(lambda: store.get_thread("slack", f"CGENERAL:{root}") is not None)
        post_event(
            srv, channel_message("do they need to learn devops?", "1700000300.000011", root), event_id="EvC2"
        )
        slack.wait_for("chat.postMessage", count=2)
        # The follow-up is counted just after it is posted: wait for the store, not the clock.
        assert eventually(
            lambda: (state := store.get_thread("slack", f"CGENERAL:{root}")) and state.answers == 1
        )
        post_event(
            srv, channel_message("what about their skills?", "1700000300.000012", root), event_id="EvC3"
        )
        slack.settle()
        assert len(slack.calls_to("chat.postMessage")) == 2  # one follow-up, then quiet
