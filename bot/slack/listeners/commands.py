"""/mle-vs-swe and /career: answers visible only to the asker, acknowledged with the content.

The engine answers in about a millisecond, so the answer goes back in the ack itself,
well within Slack's three seconds, with no second request.
"""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.answering import Answering
from bot.slack import blocks
from bot.slack.replies import answer_reply, remember_unanswered

CAREER_USAGE = (
    "Ask me something after the command, for example: `/career What does an ML engineer do day to day?`"
)

HELP_WORDS = frozenset({"help", "-h", "--help", "?"})


def register(app: App, answering: Answering) -> None:
    engine = answering.engine

    @app.command("/mle-vs-swe")
    def mle_vs_swe(ack: Ack, command: dict) -> None:
        text = (command.get("text") or "").strip()
        if not text:
            items = engine.overview()
            ack(
                response_type="ephemeral",
                text=blocks.overview_text(items),
                blocks=blocks.overview_blocks(items),
            )
        elif text.lower() in HELP_WORDS:
            ack(
                response_type="ephemeral",
                text=blocks.COMMANDS_HELP,
                blocks=blocks.help_blocks(engine.example_questions()),
            )
        else:
            reply = answer_reply(answering, text, entry="command:/mle-vs-swe", restate=True, share=True)
            ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks)
            remember_unanswered(answering, reply)

    @app.command("/career")
    def career(ack: Ack, command: dict) -> None:
        text = (command.get("text") or "").strip()
        if not text or text.lower() in HELP_WORDS:
            ack(
                response_type="ephemeral",
                text=CAREER_USAGE,
                blocks=blocks.help_blocks(engine.example_questions()),
            )
            return
        reply = answer_reply(answering, text, entry="command:/career", restate=True, share=True)
        ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks)
        remember_unanswered(answering, reply)
