"""/mle-vs-swe and /career: answers visible only to the asker, acknowledged with the content.

The engine answers in about a millisecond, so the answer goes back in the ack itself,
well within Slack's three seconds, with no second request.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot.slack import blocks
from bot.slack.context import answering_of, engine_of
from bot.slack.replies import answer_reply, remember_unanswered

CAREER_USAGE = (
    "Ask me something after the command, for example: `/career What does an ML engineer do day to day?`"
)

HELP_WORDS = frozenset({"help", "-h", "--help", "?"})


def mle_vs_swe(ack: Ack, command: dict, context: BoltContext) -> None:
    """No text: the overview; help words: the help; anything else: a question."""
    engine = engine_of(context)
    text = (command.get("text") or "").strip()
    if not text:
        items = engine.overview()
        ack(response_type="ephemeral", text=blocks.overview_text(items), blocks=blocks.overview_blocks(items))
    elif text.lower() in HELP_WORDS:
        ack(
            response_type="ephemeral",
            text=blocks.COMMANDS_HELP,
            blocks=blocks.help_blocks(engine.example_questions()),
        )
    else:
        _answer_in_ack(ack, context, text, "command:/mle-vs-swe")


def career(ack: Ack, command: dict, context: BoltContext) -> None:
    """A question; without one (or with a help word), how to ask."""
    text = (command.get("text") or "").strip()
    if not text or text.lower() in HELP_WORDS:
        ack(
            response_type="ephemeral",
            text=CAREER_USAGE,
            blocks=blocks.help_blocks(engine_of(context).example_questions()),
        )
        return
    _answer_in_ack(ack, context, text, "command:/career")


def _answer_in_ack(ack: Ack, context: BoltContext, text: str, entry: str) -> None:
    answering = answering_of(context)
    reply = answer_reply(
        answering,
        text,
        entry=entry,
        restate=True,
        share=True,
        channel=context.get("channel_id"),
        user=context.get("user_id"),
    )
    ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks)
    remember_unanswered(answering, reply)


def register(app: App) -> None:
    app.command("/mle-vs-swe")(mle_vs_swe)
    app.command("/career")(career)
