"""Pure rendering of engine results as Discord messages (embeds and buttons).

Every message sets allowed_mentions {"parse": []}: no @everyone, role or user ping can
come out of a passage or a question. User text is also defused (a zero-width space after
"@") and markdown-escaped, so it reads as typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.text import truncate
from retrieval import EXAMPLE_QUESTIONS, NO_ANSWER_TEXT, Answer, Hit, OverviewItem

EPHEMERAL = 64
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FOOTER_LIMIT = 2048
EMBEDS_LIMIT = 10
TOTAL_LIMIT = 6000
LABEL_LIMIT = 80
NO_MENTIONS = {"parse": []}
QUESTION_PREFIX = "**Q:** "
EMBED_COLOUR = 0x5865F2

_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()])")


def defuse(text: str) -> str:
    """Text that can't mention anyone even if allowed_mentions were ignored."""
    return text.replace("@", "@\u200b")


def escape_markdown(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", defuse(text))


def unescape_question(content: str) -> str:
    """The question back from a message rendered by question_line()."""
    line = content.split("\n", 1)[0]
    if line.startswith(QUESTION_PREFIX):
        line = line[len(QUESTION_PREFIX) :]
    return re.sub(r"\\(.)", r"\1", line).replace("@\u200b", "@")


def question_line(question: str) -> str:
    return truncate(QUESTION_PREFIX + escape_markdown(question.replace("\n", " ")), 500)


def hit_embed(hit: Hit, heading: str | None = None) -> dict:
    footer = " · ".join(x for x in (", ".join(hit.authors), hit.site or "") if x)
    embed: dict = {
        "title": truncate(defuse(f"{heading}: {hit.title}" if heading else hit.title), TITLE_LIMIT),
        "description": truncate(defuse(hit.text), DESCRIPTION_LIMIT),
        "color": EMBED_COLOUR,
    }
    if hit.url and hit.url.startswith(("http://", "https://")):
        embed["url"] = hit.url
    if footer:
        embed["footer"] = {"text": truncate(defuse(footer), FOOTER_LIMIT)}
    return embed


def _fit(embeds: list[dict], budget: int) -> list[dict]:
    """At most 10 embeds and 6,000 characters across them, shortening descriptions last-first."""
    embeds = embeds[:EMBEDS_LIMIT]

    def size(e: dict) -> int:
        return (
            len(e.get("title", "")) + len(e.get("description", "")) + len(e.get("footer", {}).get("text", ""))
        )

    total = sum(size(e) for e in embeds)
    for embed in reversed(embeds):
        if total <= budget:
            break
        excess = total - budget
        keep = max(100, len(embed["description"]) - excess)
        shorter = truncate(embed["description"], keep)
        total -= len(embed["description"]) - len(shorter)
        embed["description"] = shorter
    while embeds and sum(size(e) for e in embeds) > budget:
        embeds.pop()
    return embeds


def button(label: str, custom_id: str, style: int = 2) -> dict:
    return {"type": 2, "style": style, "label": truncate(label, LABEL_LIMIT), "custom_id": custom_id[:100]}


def feedback_row(share: bool) -> dict:
    buttons = [button("👍 Helpful", "vote:up"), button("👎 Not helpful", "vote:down")]
    if share:
        buttons.append(button("Share in channel", "share", style=1))
    return {"type": 1, "components": buttons}


def example_row(questions: Sequence[str] = EXAMPLE_QUESTIONS) -> dict:
    return {"type": 1, "components": [button(q, f"ask:{n}") for n, q in enumerate(questions[:5])]}


def answer_message(
    answer: Answer, *, ephemeral: bool = True, asked_by: str | None = None, share: bool = True
) -> dict:
    """The message data for an answer (or the no-answer reply)."""
    content = question_line(answer.question)
    if asked_by:
        content += f"\nasked by <@{asked_by}>"
    if not answer.answered:
        message = {
            "content": truncate(f"{content}\n{NO_ANSWER_TEXT}", CONTENT_LIMIT),
            "components": [example_row()],
        }
    else:
        message = {
            "content": truncate(content, CONTENT_LIMIT),
            "embeds": _fit([hit_embed(h) for h in answer.hits], TOTAL_LIMIT),
            "components": [feedback_row(share=ephemeral and share)],
        }
    message["allowed_mentions"] = NO_MENTIONS
    if ephemeral:
        message["flags"] = EPHEMERAL
    return message


def overview_message(items: Sequence[OverviewItem], ephemeral: bool = True) -> dict:
    message = {
        "content": "**ML engineer vs software engineer**, in the words of the articles I answer from:",
        "embeds": _fit([hit_embed(i.hit, heading=i.aspect) for i in items], TOTAL_LIMIT),
        "allowed_mentions": NO_MENTIONS,
    }
    if ephemeral:
        message["flags"] = EPHEMERAL
    return message


def notice(text: str, ephemeral: bool = True) -> dict:
    message = {"content": truncate(defuse(text), CONTENT_LIMIT), "allowed_mentions": NO_MENTIONS}
    if ephemeral:
        message["flags"] = EPHEMERAL
    return message


def recorded_vote_components(vote: str, saved: bool) -> list[dict]:
    """After a vote: the buttons become the recorded vote and a button to change it."""
    emoji = "👍" if vote == "up" else "👎"
    other, other_id = ("👎", "vote:down") if vote == "up" else ("👍", "vote:up")
    label = f"Your vote: {emoji}" if saved else "Vote not saved"
    return [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 2, "label": label, "custom_id": "vote:recorded", "disabled": True},
                button(f"Change to {other}", other_id),
            ],
        }
    ]
