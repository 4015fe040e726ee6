"""Slack's agent pane over real HTTP: agent_view (the Messages tab's app_home_opened, DMs) and
the older assistant_view through Bolt's Assistant class, against the mock Web API.

Payloads follow Slack's documented events, as bolt-python's own
tests/scenario_tests/test_events_assistant.py builds them.
"""

from __future__ import annotations

import json

from bench.mock_slack import MockSlack
from bot.slack import blocks
from bot.slack.listeners.assistant import GREETING
from bot.store.sqlite import SQLiteStore
from retrieval import Engine
from tests.support.http import Server
from tests.support.slack_requests import all_text, dm, eventually, post_event

THREAD = "1726133698.626339"
HISTORY_CALLS = ("conversations.replies", "conversations.history")


def home_opened(tab: str) -> dict:
    return {"type": "app_home_opened", "user": "U111", "channel": "D111", "tab": tab, "event_ts": "1.0"}


def thread_started(context: dict | None = None) -> dict:
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": "U111",
            "context": context if context is not None else {"channel_id": "C222", "team_id": "T0001"},
            "channel_id": "D111",
            "thread_ts": THREAD,
        },
        "event_ts": "1726133698.665188",
    }


def context_changed(channel: str) -> dict:
    return {
        "type": "assistant_thread_context_changed",
        "assistant_thread": {
            "user_id": "U111",
            "context": {"channel_id": channel, "team_id": "T0001"},
            "channel_id": "D111",
            "thread_ts": THREAD,
        },
        "event_ts": "1726133699.665188",
    }


def in_thread(text: str, ts: str) -> dict:
    return dm(text, ts=ts, thread_ts=THREAD, parent_user_id="U111")


def test_agent_view_messages_tab_gets_suggested_prompts_and_home_keeps_its_view(
    server: Server, slack: MockSlack, engine: Engine
) -> None:
    assert post_event(server, home_opened("messages"), event_id="Ev1").status == 200
    [prompts] = slack.wait_for("assistant.threads.setSuggestedPrompts")
    assert prompts.body["channel_id"] == "D111"
    assert "thread_ts" not in prompts.body  # agent_view: pinned to the Messages tab, no thread
    shown = prompts.body["prompts"]
    if isinstance(shown, str):
        shown = json.loads(shown)
    examples = list(engine.example_questions())
    assert [p["message"] for p in shown] == examples[:4] and 1 <= len(shown) <= 4
    assert all(len(p["title"]) <= 75 for p in shown)
    assert prompts.body["title"] == blocks.PROMPTS_TITLE
    assert slack.calls_to("views.publish") == []
    assert post_event(server, home_opened("home"), event_id="Ev2").status == 200
    [published] = slack.wait_for("views.publish")
    assert published.body["user_id"] == "U111"
    slack.settle()
    assert len(slack.calls_to("assistant.threads.setSuggestedPrompts")) == 1  # Home sets none


def test_agent_view_question_in_the_messages_tab_is_answered(server: Server, slack: MockSlack) -> None:
    assert post_event(server, dm("Will ML engineers need to learn DevOps?")).status == 200
    [answer] = slack.wait_for("chat.postMessage")
    assert answer.body["channel"] == "D111" and "DevOps" in all_text(answer.body["blocks"])


def test_assistant_view_thread_started_greets_once_and_keeps_context_in_our_store(
    server: Server, slack: MockSlack, store: SQLiteStore, engine: Engine
) -> None:
    assert post_event(server, thread_started(), event_id="EvT1").status == 200
    [greeting] = slack.wait_for("chat.postMessage")
    assert greeting.body["channel"] == "D111" and greeting.body["thread_ts"] == THREAD
    assert greeting.body["text"] == blocks.escape(GREETING)
    [prompts] = slack.wait_for("assistant.threads.setSuggestedPrompts")
    assert prompts.body["channel_id"] == "D111" and prompts.body["thread_ts"] == THREAD
    shown = prompts.body["prompts"]
    shown = json.loads(shown) if isinstance(shown, str) else shown
    assert [p["message"] for p in shown] == list(engine.example_questions())[:4]
    assert store.get_assistant_context("D111", THREAD) == {"channel_id": "C222", "team_id": "T0001"}
    # Slack retries the event: no second greeting.
    assert post_event(server, thread_started(), event_id="EvT1", retry=1).status == 200
    assert post_event(server, context_changed("C333"), event_id="EvT2").status == 200
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert store.get_assistant_context("D111", THREAD) == {"channel_id": "C333", "team_id": "T0001"}
    assert not any(slack.calls_to(m) for m in HISTORY_CALLS)


def test_assistant_view_questions_are_answered_in_the_thread_titled_and_followed(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    post_event(server, thread_started(), event_id="EvT1")
    slack.wait_for("chat.postMessage")
    first = "What does a machine learning engineer do day to day? <!channel>"
    assert post_event(server, in_thread(first, "1726133700.000001"), event_id="EvQ1").status == 200
    answers = slack.wait_for("chat.postMessage", count=2)
    answer = answers[1]
    assert answer.body["channel"] == "D111" and answer.body["thread_ts"] == THREAD
    text = all_text(answer.body["blocks"])
    assert "<!channel>" not in text and "<!channel>" not in answer.body["text"]  # no ping
    # The reply carries the thread context from our store as metadata (no conversations.replies).
    metadata = answer.body.get("metadata")
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["event_payload"]["channel_id"] == "C222"
    [title] = slack.wait_for("assistant.threads.setTitle")
    assert title.body["thread_ts"] == THREAD and title.body["title"].startswith("What does a machine")
    assert "<!channel>" not in title.body["title"]
    # A second question in the thread is a follow-up: asked with the first, nothing shown twice.
    # (The thread is followed just after the answer is posted: wait for the store.)
    assert eventually(lambda: store.get_thread("slack", f"D111:{THREAD}") is not None)
    assert (
        post_event(
            server, in_thread("and do they need to learn devops?", "1726133701.000001"), event_id="EvQ2"
        ).status
        == 200
    )
    third = slack.wait_for("chat.postMessage", count=3)[2]
    assert third.body["thread_ts"] == THREAD
    before = {b["text"]["text"] for b in answer.body["blocks"] if b["type"] == "section"}
    after = {
        b["text"]["text"]
        for b in third.body["blocks"]
        if b["type"] == "section" and "> " in b["text"]["text"]
    }
    assert after and not before & after
    assert "devops" in all_text(third.body["blocks"]).lower()
    slack.settle()
    assert len(slack.calls_to("assistant.threads.setTitle")) == 1  # titled once, by its first question
    assert not any(slack.calls_to(m) for m in HISTORY_CALLS)
    # A retried delivery of a question is answered once.
    post_event(
        server, in_thread("and do they need to learn devops?", "1726133701.000001"), event_id="EvQ2", retry=1
    )
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 3


def test_assistant_thread_with_a_broken_store_still_answers(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    store._execute("DROP TABLE assistant_contexts")  # type: ignore[attr-defined]
    post_event(server, thread_started(), event_id="EvT1")
    post_event(
        server, in_thread("Will ML engineers need to learn DevOps?", "1726133700.000002"), event_id="EvQ1"
    )
    answers = slack.wait_for("chat.postMessage", count=2)
    assert "DevOps" in all_text(answers[1].body["blocks"])
    assert not any(slack.calls_to(m) for m in HISTORY_CALLS)


def test_bots_and_edits_in_assistant_threads_get_nothing(server: Server, slack: MockSlack) -> None:
    post_event(server, {**in_thread("hello", "1726133700.000003"), "bot_id": "B9"}, event_id="EvB1")
    edited = {
        "type": "message",
        "subtype": "message_changed",
        "channel": "D111",
        "channel_type": "im",
        "hidden": True,
        "ts": "1726133701.028300",
        "message": {"text": "x", "user": "U111", "ts": "1726133700.000003", "thread_ts": THREAD},
    }
    post_event(server, edited, event_id="EvB2")
    slack.settle()
    assert slack.calls_to("chat.postMessage") == []
