"""Signed requests over real HTTP to the real web app, answered through the mock Web API."""

from __future__ import annotations

import json
import logging
import time

import pytest

from bench.mock_slack import MockSlack
from bench.slack_signing import event_body, signed_headers
from bot.slack import blocks
from bot.store.sqlite import SQLiteStore
from retrieval import Engine
from tests.support.http import Server, http_get
from tests.support.slack_requests import all_text, button, click, command, dm, eventually, mention, post_event

# -- request verification -----------------------------------------------------------------


def test_url_verification_answers_the_challenge(server: Server) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "legacy"})
    response = server.post("/slack/events", body, signed_headers(body))
    assert response.status == 200 and response.json()["challenge"] == "c-123"


def test_bad_signature_and_stale_timestamp_are_refused(server: Server, slack: MockSlack) -> None:
    body = event_body(mention("<@UBOT> what is MLOps?"))
    assert server.post("/slack/events", body, signed_headers(body, secret="wrong")).status == 401
    stale = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    assert server.post("/slack/events", body, stale).status == 401
    unsigned = {"Content-Type": "application/json"}
    assert server.post("/slack/events", body, unsigned).status == 401
    tampered = signed_headers(body)
    assert server.post("/slack/events", body.replace("MLOps", "MLOPS"), tampered).status == 401
    url_check = json.dumps({"type": "url_verification", "challenge": "c-1"})
    refused = server.post("/slack/events", url_check, signed_headers(url_check, secret="wrong"))
    assert refused.status == 401 and b"c-1" not in refused.body
    slack.settle()
    assert slack.calls_to("chat.postMessage") == []


# -- mentions and DMs -----------------------------------------------------------------------


def test_mention_gets_one_threaded_reply_with_passages_and_source(server: Server, slack: MockSlack) -> None:
    assert post_event(server, mention("<@UBOT> Will ML engineers need to learn DevOps?")).status == 200
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "CGENERAL" and call.body["thread_ts"] == "1700000100.000100"
    text = all_text(call.body["blocks"])
    assert "> " in call.body["blocks"][0]["text"]["text"]  # the passage is quoted
    assert "DevOps methodology" in text
    assert "<https://blog.dataiku.com/machine-learning-engineers-wont-be-replaced-anytime-soon|" in text
    assert call.body["text"]  # the plain fallback
    assert "UBOT" not in text  # the mention was stripped from the question
    assert button(call.body["blocks"], blocks.VOTE_UP) and button(call.body["blocks"], blocks.VOTE_DOWN)
    assert call.headers["Authorization"] == "Bearer xoxb-test-token"


def test_mention_inside_a_thread_replies_in_that_thread(server: Server, slack: MockSlack) -> None:
    post_event(server, mention("<@UBOT> what is MLOps?", thread_ts="1700000000.000001"))
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "1700000000.000001"


def test_duplicates_and_retries_get_no_second_reply(server: Server, slack: MockSlack) -> None:
    event = mention("<@UBOT> Why should an ML engineer understand cost functions?")
    post_event(server, event, event_id="EvA")
    post_event(server, event, event_id="EvA")
    post_event(server, event, event_id="EvA", retry=1)
    slack.wait_for("chat.postMessage")
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 1
    # The same message delivered as app_mention and as a `message` event (another event id). In
    # a DM the message copy passes the DM filter, so only the (channel, ts) claim stops a second
    # answer: this part fails if that de-duplication is removed.
    in_dm = mention("<@UBOT> What is a feature store?", ts="1700000300.000300", channel="D111")
    post_event(server, in_dm, event_id="EvC")
    post_event(server, {**in_dm, "type": "message", "channel_type": "im"}, event_id="EvD")
    assert len(slack.wait_for("chat.postMessage", count=2)) == 2
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_a_retry_of_an_event_we_never_answered_is_answered_once(server: Server, slack: MockSlack) -> None:
    # The first delivery never reached us: the retry is the first we see, so it is answered;
    # the later retries of it are not.
    event = mention("<@UBOT> What is a feature store?", ts="1700000200.000100")
    post_event(server, event, event_id="EvLost", retry=1)
    post_event(server, event, event_id="EvLost", retry=2)
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "1700000200.000100"
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_direct_message_gets_one_reply(server: Server, slack: MockSlack) -> None:
    post_event(server, dm("What is a feature store?"), event_id="EvDM")
    post_event(server, dm("What is a feature store?"), event_id="EvDM", retry=1)
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "D111" and "thread_ts" not in call.body
    assert "feature store" in all_text(call.body["blocks"])
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_bots_edits_and_other_subtypes_get_no_reply(server: Server, slack: MockSlack) -> None:
    post_event(server, dm("What is MLOps?", ts="2.0", bot_id="BBOT", user="UBOT"), event_id="Ev1")
    post_event(server, dm("What is MLOps?", ts="3.0", user="UBOT"), event_id="Ev2")  # ourselves
    changed = dm("What is MLOps?", ts="4.0", subtype="message_changed", message={"text": "x"})
    post_event(server, changed, event_id="Ev3")
    post_event(server, dm("What is MLOps?", ts="5.0", subtype="message_deleted"), event_id="Ev4")
    post_event(server, dm("What is MLOps?", ts="5.5", subtype="bot_message", bot_id="B2"), event_id="Ev4b")
    post_event(server, dm("What is MLOps?", ts="6.0", user="U2", channel_type="channel"), event_id="Ev5")
    bot_mention = mention("<@UBOT> what is MLOps?", ts="6.5", bot_id="B3")
    post_event(server, bot_mention, event_id="Ev6")
    slack.settle()
    assert slack.calls_to("chat.postMessage") == []


def test_no_answer_offers_example_questions(
    server: Server, slack: MockSlack, store: SQLiteStore, engine: Engine
) -> None:
    post_event(server, mention("<@UBOT> What time does the cafeteria open?"))
    [call] = slack.wait_for("chat.postMessage")
    [actions, handoff] = [b for b in call.body["blocks"] if b["type"] == "actions"]
    assert [e["value"] for e in actions["elements"]] == list(engine.example_questions())
    assert len(actions["elements"]) == 3
    assert [e["action_id"] for e in handoff["elements"]] == [blocks.HANDOFF]  # "Ask a person"
    assert "nothing good" in all_text(call.body["blocks"])
    assert blocks.VOTE_UP not in all_text(call.body["blocks"])
    logged = eventually(lambda: store.feedback_totals().unanswered_questions)
    assert logged == ["What time does the cafeteria open?"]
    # a slash question with no answer is remembered too, after the acknowledgement
    command(server, slack, "/career", "Who won the match last night?")
    eventually(lambda: len(store.feedback_totals().unanswered_questions) == 2)
    assert set(store.feedback_totals().unanswered_questions) == {
        "What time does the cafeteria open?",
        "Who won the match last night?",
    }


def test_empty_or_too_long_question_gets_a_kind_reply(
    server: Server, slack: MockSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    post_event(server, mention("<@UBOT>  ", ts="11.0"), event_id="EvEmpty")
    [call] = slack.wait_for("chat.postMessage")
    text = all_text(call.body["blocks"])
    assert "The question is empty" in text and blocks.ASK_EXAMPLE in text
    long = command(server, slack, "/career", "why " * 400).json()
    assert long["response_type"] == "ephemeral" and "too long" in long["text"]
    slack.settle()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_channel_ping_in_question_and_passage_is_escaped(server: Server, slack: MockSlack) -> None:
    post_event(
        server, mention("<@UBOT> <!channel> what if most of the training data is in English? <!here> & more")
    )
    [call] = slack.wait_for("chat.postMessage")
    text = all_text(call.body["blocks"]) + call.body["text"]
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U111>"):
        assert ping not in text
    # a slash question is echoed back: still no ping, the characters come out escaped
    echoed = command(server, slack, "/career", "Will ML engineers <!channel> need to learn DevOps? <@U9>")
    data = echoed.json()
    out = all_text(data["blocks"]) + data["text"]
    assert "<!channel>" not in out and "<@U9>" not in out


# -- Web API failures -----------------------------------------------------------------------


def test_rate_limit_then_success_delivers_once(server: Server, slack: MockSlack) -> None:
    slack.fail_next("chat.postMessage", 429, retry_after=1)
    post_event(server, mention("<@UBOT> What goal do SWEs and MLEs have in common?"))
    calls = slack.wait_for("chat.postMessage", count=2, timeout=15)
    assert len(calls) == 2  # the 429 and the successful retry
    assert calls[0].body == calls[1].body
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_server_errors_then_give_up_and_keep_serving(
    server: Server, slack: MockSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    slack.fail_next("chat.postMessage", 500, count=3)
    post_event(server, mention("<@UBOT> what is MLOps?", ts="7.0"), event_id="EvX")
    assert len(slack.wait_for("chat.postMessage", count=3, timeout=15)) == 3
    post_event(server, mention("<@UBOT> what is MLOps?", ts="8.0"), event_id="EvY")
    calls = slack.wait_for("chat.postMessage", count=4, timeout=15)
    assert len(calls) == 4 and calls[-1].body["thread_ts"] == "8.0"
    # Logged after the last retry, in the listener thread: wait for the line, not for time.
    assert eventually(
        lambda: any("event EvX: reply not delivered" in r.getMessage() for r in caplog.records), timeout=15
    )
    assert not any("xoxb-test-token" in r.getMessage() for r in caplog.records)


# -- slash commands -------------------------------------------------------------------------


def test_mle_vs_swe_overview_help_and_question(server: Server, slack: MockSlack) -> None:
    overview = command(server, slack, "/mle-vs-swe", "")
    assert overview.status == 200
    data = overview.json()
    assert data["response_type"] == "ephemeral" and data["text"]
    text = all_text(data["blocks"])
    for aspect in ("Responsibilities", "Problem space", "Skills", "Career"):
        assert aspect in text
    assert "thehustlingengineer.substack.com" in text

    help_ = command(server, slack, "/mle-vs-swe", "help").json()
    assert "/career" in all_text(help_["blocks"]) and help_["response_type"] == "ephemeral"

    answer = command(
        server, slack, "/mle-vs-swe", "Are MLE problems more open-ended than SWE problems?"
    ).json()
    text = all_text(answer["blocks"])
    assert "Q: Are MLE problems more open-ended than SWE problems?" in text  # restated
    assert "ambiguous" in text and blocks.SHARE in text and blocks.VOTE_UP in text
    # answered in the acknowledgement itself: nothing went through response_url or the Web API
    assert slack.calls_to("response:cmd") == [] and slack.calls_to("chat.postMessage") == []


def test_career_command_and_share_button(server: Server, slack: MockSlack) -> None:
    answer = command(
        server, slack, "/career", "Is a machine learning engineer like a full-stack developer?"
    ).json()
    assert answer["response_type"] == "ephemeral" and "Full-Stack Engineers" in all_text(answer["blocks"])
    assert "Q: Is a machine learning engineer like a full-stack developer?" in all_text(answer["blocks"])
    share = button(answer["blocks"], blocks.SHARE)
    response = click(
        server, blocks.SHARE, share["value"], slack.response_url("share"), user="U777", ephemeral=True
    )
    assert response.status == 200
    [shared] = slack.wait_for("response:share")
    assert shared.body["response_type"] == "in_channel" and shared.body["replace_original"] is False
    text = all_text(shared.body["blocks"])
    assert "<@U777> asked" in text and "Full-Stack Engineers" in text
    assert blocks.SHARE not in text and blocks.VOTE_UP in text  # shared once; votes still welcome
    assert text.count("<@") == 1  # the only mention is the one we built


def test_career_without_a_question_shows_usage(server: Server, slack: MockSlack) -> None:
    data = command(server, slack, "/career", "   ").json()
    assert "/career" in data["text"] and data["response_type"] == "ephemeral"


# -- example questions ------------------------------------------------------------------------


def test_example_question_button_answers_in_the_thread(server: Server, slack: MockSlack) -> None:
    message = {"ts": "1700000000.000050", "thread_ts": "1700000000.000001", "text": "x", "blocks": []}
    click(
        server,
        f"{blocks.ASK_EXAMPLE}_0",
        "Will ML engineers need to learn DevOps?",
        slack.response_url("ex"),
        message=message,
        channel="CGENERAL",
    )
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "1700000000.000001" and "DevOps" in all_text(call.body["blocks"])
    assert call.body["channel"] == "CGENERAL"


def test_example_question_button_in_a_dm_answers_in_the_dm(server: Server, slack: MockSlack) -> None:
    message = {"ts": "1700000000.000060", "text": "x", "blocks": []}
    question = "Will ML engineers need to learn DevOps?"
    click(
        server, f"{blocks.ASK_EXAMPLE}_2", question, slack.response_url("ex"), message=message, channel="D111"
    )
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "D111" and "thread_ts" not in call.body
    assert f"Q: {question}" in all_text(call.body["blocks"])


def test_example_question_from_an_ephemeral_reply_answers_privately(server: Server, slack: MockSlack) -> None:
    unanswered = command(server, slack, "/career", "What time does the cafeteria open?").json()
    example = button(unanswered["blocks"], f"{blocks.ASK_EXAMPLE}_0")
    click(server, example["action_id"], example["value"], slack.response_url("ex"), ephemeral=True)
    [reply] = slack.wait_for("response:ex")
    assert reply.body["response_type"] == "ephemeral" and reply.body["replace_original"] is False
    assert f"Q: {example['value']}" in all_text(reply.body["blocks"])
    assert blocks.SHARE in all_text(reply.body["blocks"])


def test_example_question_from_the_home_tab_answers_in_a_dm(server: Server, slack: MockSlack) -> None:
    question = "What does a machine learning engineer do day to day?"
    click(server, f"{blocks.ASK_EXAMPLE}_0", question, "unused", user="U321", home=True)
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "U321" and f"Q: {question}" in all_text(call.body["blocks"])


# -- onboarding ----------------------------------------------------------------------------------


def test_app_home_opened_publishes_the_home_view(server: Server, slack: MockSlack, engine: Engine) -> None:
    post_event(
        server, {"type": "app_home_opened", "user": "U111", "channel": "D1", "tab": "home"}, event_id="EvH1"
    )
    post_event(
        server,
        {"type": "app_home_opened", "user": "U111", "channel": "D1", "tab": "messages"},
        event_id="EvH2",
    )
    [call] = slack.wait_for("views.publish")
    view = call.body["view"]
    assert call.body["user_id"] == "U111" and view["type"] == "home"
    text = all_text(view["blocks"])
    assert "/mle-vs-swe" in text and "/career" in text
    for doc in engine.documents:  # every document of the corpus, linked
        assert f"<{doc.url}|" in text
    assert [e["value"] for e in button_row(view["blocks"])] == list(engine.example_questions())
    slack.settle()
    assert len(slack.calls_to("views.publish")) == 1


def button_row(blocks_: list[dict]) -> list[dict]:
    return next(b["elements"] for b in blocks_ if b.get("block_id") == "examples")


def test_member_joined_onboarding_channel_is_welcomed_once(server: Server, slack: MockSlack) -> None:
    joined = {"type": "member_joined_channel", "user": "U555", "channel": "CWELCOME", "team": "T0001"}
    post_event(server, joined, event_id="EvJ1")
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "U555" and "/career" in all_text(call.body["blocks"])
    assert button_row(call.body["blocks"])  # example questions to try
    post_event(server, {**joined, "channel": "CONBOARD"}, event_id="EvJ2")  # configured by id
    post_event(server, joined, event_id="EvJ2b")  # joins again
    post_event(server, {**joined, "user": "UBOT"}, event_id="EvJ3")  # our own join
    post_event(server, {**joined, "user": "U666", "channel": "CGENERAL"}, event_id="EvJ4")  # not onboarding
    slack.settle()
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_onboarding_channel_names_are_looked_up_once(server: Server, slack: MockSlack) -> None:
    for n in range(3):
        joined = {"type": "member_joined_channel", "user": f"U90{n}", "channel": "CWELCOME"}
        post_event(server, joined, event_id=f"EvN{n}")
        slack.wait_for("chat.postMessage", count=n + 1)
    assert sorted(c.body["channel"] for c in slack.calls_to("chat.postMessage")) == ["U900", "U901", "U902"]
    assert len(slack.calls_to("conversations.info")) == 1


def test_failed_welcome_is_released_for_a_later_join(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    slack.fail_with("chat.postMessage", "channel_not_found")
    joined = {"type": "member_joined_channel", "user": "U888", "channel": "CONBOARD", "team": "T0001"}

    def claimed() -> bool:
        rows = store._execute("SELECT 1 FROM welcomes WHERE user_id = 'U888'", fetch=True, write=False)
        return bool(rows)

    post_event(server, joined, event_id="EvK1")
    assert slack.wait_for("chat.postMessage")  # the claim was made before this call
    # Wait for the event meant: the store's release of the failed welcome (not for calls to stop).
    assert eventually(lambda: not claimed(), timeout=15)
    post_event(server, joined, event_id="EvK2")
    calls = slack.wait_for("chat.postMessage", count=2)
    assert len(calls) == 2


def test_healthz(server: Server, engine: Engine) -> None:
    response = http_get(server.url + "/healthz")
    data = response.json()
    assert response.status == 200 and data["ok"] is True and data["slack"] is True
    assert data["documents"] == len(engine.documents) == 5


def test_direct_message_inside_a_thread_is_answered_in_that_thread(server: Server, slack: MockSlack) -> None:
    post_event(server, dm("What is MLOps?", ts="31.0", thread_ts="30.0"), event_id="EvDMT")
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "D111" and call.body["thread_ts"] == "30.0"


def test_every_front_end_entry_logs_one_answer_line_without_secrets(
    server: Server, slack: MockSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="careerbot.answers")
    assert command(server, slack, "/career", "What is a feature store?").status == 200
    assert post_event(server, mention("<@UBOT> what is MLOps?")).status == 200
    slack.wait_for("chat.postMessage")

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "careerbot.answers"]

    found = eventually(lambda: len(lines()) >= 2 and lines())
    assert found[0].startswith("platform=slack entry=command:/career answered=True hits=")
    assert found[1].startswith("platform=slack entry=mention answered=True hits=")
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("xoxb-test-token", slack.response_url("cmd"), "feature store", "MLOps"):
        assert secret not in everything
