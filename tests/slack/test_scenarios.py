"""Signed requests over real HTTP to the real web app, answered through the mock Web API."""

from __future__ import annotations

import json
import time

from bot import blocks
from bot.store.sqlite import SQLiteStore
from tests.slack.conftest import Server
from tests.slack.mock_slack import MockSlack
from tests.slack.signing import action_body, command_body, event_body, signed_headers

FORM = "application/x-www-form-urlencoded"


def mention(text: str, ts: str = "1700000100.000100", channel: str = "CGENERAL", **extra: str) -> dict:
    return {"type": "app_mention", "user": "U111", "text": text, "ts": ts, "channel": channel, **extra}


def post_event(server: Server, event: dict, event_id: str = "Ev001", retry: int | None = None):
    body = event_body(event, event_id=event_id)
    headers = signed_headers(body)
    if retry is not None:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return server.post("/slack/events", body, headers)


def all_text(blocks_: list[dict]) -> str:
    return json.dumps(blocks_, ensure_ascii=False)


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
    time.sleep(0.2)
    assert slack.calls_to("chat.postMessage") == []


# -- mentions and DMs -----------------------------------------------------------------------


def test_mention_gets_one_threaded_reply_with_passages_and_source(server: Server, slack: MockSlack) -> None:
    assert post_event(server, mention("<@UBOT> Will ML engineers need to learn DevOps?")).status == 200
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "CGENERAL" and call.body["thread_ts"] == "1700000100.000100"
    text = all_text(call.body["blocks"])
    assert "DevOps methodology" in text
    assert "<https://blog.dataiku.com/machine-learning-engineers-wont-be-replaced-anytime-soon|" in text
    assert call.body["text"]  # the plain fallback
    assert "UBOT" not in text  # the mention was stripped from the question


def test_mention_inside_a_thread_replies_in_that_thread(server: Server, slack: MockSlack) -> None:
    post_event(server, mention("<@UBOT> what is MLOps?", thread_ts="1700000000.000001"))
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "1700000000.000001"


def test_duplicates_and_retries_get_no_second_reply(server: Server, slack: MockSlack) -> None:
    event = mention("<@UBOT> Why should an ML engineer understand cost functions?")
    post_event(server, event, event_id="EvA")
    post_event(server, event, event_id="EvA")
    post_event(server, event, event_id="EvA", retry=1)
    # the same message delivered as a `message` event too
    post_event(server, {**event, "type": "message", "channel_type": "channel"}, event_id="EvB")
    slack.wait_for("chat.postMessage")
    time.sleep(0.3)
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_direct_message_gets_one_reply(server: Server, slack: MockSlack) -> None:
    dm = {
        "type": "message",
        "channel_type": "im",
        "user": "U111",
        "text": "What is a feature store?",
        "ts": "1.0",
        "channel": "D111",
    }
    post_event(server, dm, event_id="EvDM")
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "D111" and "thread_ts" not in call.body
    assert "feature store" in all_text(call.body["blocks"])


def test_bots_edits_and_other_subtypes_get_no_reply(server: Server, slack: MockSlack) -> None:
    base = {"type": "message", "channel_type": "im", "channel": "D111", "text": "What is MLOps?"}
    post_event(server, {**base, "ts": "2.0", "bot_id": "BBOT", "user": "UBOT"}, event_id="Ev1")
    post_event(server, {**base, "ts": "3.0", "user": "UBOT"}, event_id="Ev2")  # ourselves
    post_event(
        server, {**base, "ts": "4.0", "subtype": "message_changed", "message": {"text": "x"}}, event_id="Ev3"
    )
    post_event(server, {**base, "ts": "5.0", "subtype": "message_deleted"}, event_id="Ev4")
    post_event(server, {**base, "ts": "6.0", "user": "U2", "channel_type": "channel"}, event_id="Ev5")
    time.sleep(0.5)
    assert slack.calls_to("chat.postMessage") == []


def test_no_answer_offers_example_questions(server: Server, slack: MockSlack, store: SQLiteStore) -> None:
    post_event(server, mention("<@UBOT> What time does the cafeteria open?"))
    [call] = slack.wait_for("chat.postMessage")
    actions = [b for b in call.body["blocks"] if b["type"] == "actions"]
    assert len(actions[0]["elements"]) == 3
    assert "nothing good" in all_text(call.body["blocks"])
    assert store.feedback_totals().unanswered_questions == ["What time does the cafeteria open?"]


def test_channel_ping_in_question_and_passage_is_escaped(server: Server, slack: MockSlack) -> None:
    post_event(
        server, mention("<@UBOT> <!channel> what if most of the training data is in English? <!here> & more")
    )
    [call] = slack.wait_for("chat.postMessage")
    text = all_text(call.body["blocks"]) + call.body["text"]
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U111>"):
        assert ping not in text


# -- Web API failures -----------------------------------------------------------------------


def test_rate_limit_then_success_delivers_once(server: Server, slack: MockSlack) -> None:
    slack.fail_next("chat.postMessage", 429, retry_after=1)
    post_event(server, mention("<@UBOT> What goal do SWEs and MLEs have in common?"))
    calls = slack.wait_for("chat.postMessage", count=2, timeout=15)
    assert len(calls) == 2  # the 429 and the successful retry
    time.sleep(0.3)
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_server_errors_then_give_up_and_keep_serving(server: Server, slack: MockSlack) -> None:
    slack.fail_next("chat.postMessage", 500, count=3)
    post_event(server, mention("<@UBOT> what is MLOps?", ts="7.0"), event_id="EvX")
    assert len(slack.wait_for("chat.postMessage", count=3, timeout=15)) == 3
    post_event(server, mention("<@UBOT> what is MLOps?", ts="8.0"), event_id="EvY")
    calls = slack.wait_for("chat.postMessage", count=4, timeout=15)
    assert len(calls) == 4 and calls[-1].body["thread_ts"] == "8.0"


# -- slash commands -------------------------------------------------------------------------


def command(server: Server, slack: MockSlack, name: str, text: str):
    body = command_body(name, text, slack.response_url("cmd"))
    return server.post("/slack/events", body, signed_headers(body, content_type=FORM))


def test_mle_vs_swe_overview_help_and_question(server: Server, slack: MockSlack) -> None:
    overview = command(server, slack, "/mle-vs-swe", "")
    assert overview.status == 200
    data = overview.json()
    assert data["response_type"] == "ephemeral"
    text = all_text(data["blocks"])
    for aspect in ("Responsibilities", "Skills", "Career"):
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


def test_career_command_and_share_button(server: Server, slack: MockSlack) -> None:
    answer = command(
        server, slack, "/career", "Is a machine learning engineer like a full-stack developer?"
    ).json()
    assert answer["response_type"] == "ephemeral" and "Full-Stack Engineers" in all_text(answer["blocks"])
    share_button = next(
        e
        for b in answer["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == blocks.SHARE
    )
    body = action_body(
        blocks.SHARE, share_button["value"], slack.response_url("share"), user="U777", ephemeral=True
    )
    assert server.post("/slack/events", body, signed_headers(body, content_type=FORM)).status == 200
    [shared] = slack.wait_for("response:share")
    assert shared.body["response_type"] == "in_channel"
    text = all_text(shared.body["blocks"])
    assert "<@U777> asked" in text and "Full-Stack Engineers" in text


def test_career_without_a_question_shows_usage(server: Server, slack: MockSlack) -> None:
    data = command(server, slack, "/career", "   ").json()
    assert "/career" in data["text"]


# -- feedback ---------------------------------------------------------------------------------


def vote(
    server: Server, slack: MockSlack, action_id: str, value: str, message: dict, user: str = "U111"
) -> None:
    body = action_body(action_id, value, slack.response_url("vote"), user=user, message=message)
    assert server.post("/slack/events", body, signed_headers(body, content_type=FORM)).status == 200


def test_up_then_down_by_the_same_user_leaves_one_down_vote(
    server: Server, slack: MockSlack, store: SQLiteStore
) -> None:
    post_event(server, mention("<@UBOT> Why should an ML engineer understand cost functions?"))
    [reply] = slack.wait_for("chat.postMessage")
    message = {"ts": "1700000000.000042", "text": reply.body["text"], "blocks": reply.body["blocks"]}
    value = next(b for b in reply.body["blocks"] if b.get("block_id") == blocks.FEEDBACK_BLOCK)["elements"][
        0
    ]["value"]
    vote(server, slack, blocks.VOTE_UP, value, message)
    [update] = slack.wait_for("chat.update")
    assert "your 👍 is recorded" in all_text(update.body["blocks"])
    vote(server, slack, blocks.VOTE_DOWN, value, message)
    slack.wait_for("chat.update", count=2)
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (0, 1)
    assert totals.downvoted_questions == ["Why should an ML engineer understand cost functions?"]
    vote(server, slack, blocks.VOTE_UP, value, message, user="U222")  # someone else: a second row
    slack.wait_for("chat.update", count=3)
    totals = store.feedback_totals()
    assert (totals.up, totals.down) == (1, 1)


def test_example_question_button_answers_in_the_thread(server: Server, slack: MockSlack) -> None:
    message = {"ts": "1700000000.000050", "thread_ts": "1700000000.000001", "text": "x", "blocks": []}
    body = action_body(
        f"{blocks.ASK_EXAMPLE}_0",
        "Will ML engineers need to learn DevOps?",
        slack.response_url("ex"),
        message=message,
    )
    server.post("/slack/events", body, signed_headers(body, content_type=FORM))
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "1700000000.000001" and "DevOps" in all_text(call.body["blocks"])


# -- onboarding ----------------------------------------------------------------------------------


def test_app_home_opened_publishes_the_home_view(server: Server, slack: MockSlack) -> None:
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
    assert "/mle-vs-swe" in text and "/career" in text and "blog.dataiku.com" in text
    time.sleep(0.2)
    assert len(slack.calls_to("views.publish")) == 1


def test_member_joined_onboarding_channel_is_welcomed_once(server: Server, slack: MockSlack) -> None:
    joined = {"type": "member_joined_channel", "user": "U555", "channel": "CWELCOME", "team": "T0001"}
    post_event(server, joined, event_id="EvJ1")
    post_event(server, {**joined, "channel": "CONBOARD"}, event_id="EvJ2")  # configured by id
    post_event(server, {**joined, "user": "UBOT"}, event_id="EvJ3")  # our own join
    post_event(server, {**joined, "user": "U666", "channel": "CGENERAL"}, event_id="EvJ4")  # not onboarding
    [call] = slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "U555" and "/career" in all_text(call.body["blocks"])
    time.sleep(0.4)
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_failed_welcome_is_released_for_a_later_join(server: Server, slack: MockSlack) -> None:
    slack.fail_with("chat.postMessage", "channel_not_found")
    joined = {"type": "member_joined_channel", "user": "U888", "channel": "CONBOARD", "team": "T0001"}
    post_event(server, joined, event_id="EvK1")
    slack.wait_for("chat.postMessage")
    time.sleep(0.2)
    post_event(server, joined, event_id="EvK2")
    calls = slack.wait_for("chat.postMessage", count=2)
    assert len(calls) == 2


def test_healthz(server: Server) -> None:
    from tests.slack.conftest import http_get

    response = http_get(server.url + "/healthz")
    assert response.status == 200 and response.json()["ok"] is True and response.json()["documents"] == 5
