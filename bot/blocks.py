"""Pure rendering of engine results as Slack Block Kit (validated by slack_sdk.models).

Every text that reaches Slack goes through `escape()`: passages and echoed questions can
never produce a <!channel>, <!here> or <@U...> ping. The only mention we build is the
"asked by" of a shared answer, from the user id Slack gave us.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.text import truncate
from retrieval import EXAMPLE_QUESTIONS, NO_ANSWER_TEXT, Answer, Document, Hit, OverviewItem

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
BUTTON_VALUE_LIMIT = 2000
FALLBACK_LIMIT = 3000

# action_id values, used by the listeners that handle them.
VOTE_UP = "vote_up"
VOTE_DOWN = "vote_down"
SHARE = "share_answer"
ASK_EXAMPLE = "ask_example"
FEEDBACK_BLOCK = "feedback"

COMMANDS_HELP = (
    "*How to ask me*\n"
    "• Mention me in a channel: `@careerbot what does an ML engineer do?` (I answer in the thread)\n"
    "• Send me a direct message with your question\n"
    "• `/career QUESTION`: any question about ML and software engineering careers\n"
    "• `/mle-vs-swe`: how machine learning engineers and software engineers differ; "
    "`/mle-vs-swe QUESTION` to ask about the difference; `/mle-vs-swe help` for this help"
)
WELCOME_TEXT = (
    "Welcome! I'm careerbot. I answer questions about machine learning engineers and software "
    "engineers by quoting a few good articles, with their sources."
)


def escape(text: str) -> str:
    """Escape &, < and > for Slack (mrkdwn and plain text alike)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str) -> str:
    """A passage as a Slack block quote, escaped and within a section's limit."""
    body = "\n".join(f"> {line}" if line.strip() else ">" for line in escape(text).split("\n"))
    return truncate(body, SECTION_LIMIT)


def _link(url: str | None, label: str) -> str:
    label = escape(label).replace("|", "¦")
    if url and url.startswith(("http://", "https://")):
        return f"<{escape(url).replace('|', '%7C')}|{label}>"
    return label


def source_line(hit: Hit | Document) -> str:
    """ "Title (linked) · authors · site" as mrkdwn."""
    url = hit.url
    parts = [f"*{_link(url, hit.title)}*"]
    if hit.authors:
        parts.append(escape(", ".join(hit.authors)))
    if hit.site:
        parts.append(escape(hit.site))
    return truncate(" · ".join(parts), SECTION_LIMIT)


def _vote_value(answer: Answer) -> str:
    """What a vote button carries: the question, passage ids and scores (<= 2,000 chars)."""
    payload = {
        "q": answer.question,
        "p": [h.passage_id for h in answer.hits],
        "s": [h.score for h in answer.hits],
    }
    value = json.dumps(payload, ensure_ascii=False)
    while len(value) > BUTTON_VALUE_LIMIT and payload["q"]:
        payload["q"] = payload["q"][: len(payload["q"]) // 2]
        value = json.dumps(payload, ensure_ascii=False)
    return value


def feedback_block(answer: Answer) -> ActionsBlock:
    value = _vote_value(answer)
    return ActionsBlock(
        block_id=FEEDBACK_BLOCK,
        elements=[
            ButtonElement(text=PlainTextObject(text="👍 Helpful"), action_id=VOTE_UP, value=value),
            ButtonElement(text=PlainTextObject(text="👎 Not helpful"), action_id=VOTE_DOWN, value=value),
        ],
    )


def recorded_vote_blocks(vote: str, value: str, saved: bool = True) -> list[Block]:
    """What replaces the 👍/👎 buttons after a click: the vote, and a button to change it."""
    emoji = "👍" if vote == "up" else "👎"
    other, other_action = ("👎", VOTE_DOWN) if vote == "up" else ("👍", VOTE_UP)
    text = (
        f"Thanks, your {emoji} is recorded."
        if saved
        else "Sorry, your vote could not be saved. Please try again later."
    )
    return [
        ContextBlock(block_id=f"{FEEDBACK_BLOCK}_note", elements=[MarkdownTextObject(text=text)]),
        ActionsBlock(
            block_id=FEEDBACK_BLOCK,
            elements=[
                ButtonElement(
                    text=PlainTextObject(text=f"Change to {other}"), action_id=other_action, value=value
                )
            ],
        ),
    ]


def replace_feedback(blocks: Sequence[dict], vote: str, value: str, saved: bool = True) -> list[dict]:
    """A message's blocks with its feedback buttons replaced by the recorded vote."""
    kept = [b for b in blocks if b.get("block_id") not in (FEEDBACK_BLOCK, f"{FEEDBACK_BLOCK}_note")]
    return kept + [b.to_dict() for b in recorded_vote_blocks(vote, value, saved)]


def answer_blocks(
    answer: Answer,
    *,
    restate: bool = False,
    asked_by: str | None = None,
    share: bool = False,
    feedback: bool = True,
) -> list[dict]:
    """Block Kit for an answer: each passage quoted with its source, then the buttons."""
    if not answer.answered:
        return no_answer_blocks(answer.question if restate else None)
    blocks: list[Block] = []
    if asked_by:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=truncate(f"<@{asked_by}> asked: *{escape(answer.question)}*", SECTION_LIMIT)
                    )
                ]
            )
        )
    elif restate:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=truncate(f"*Q: {escape(answer.question)}*", SECTION_LIMIT))
            )
        )
    for hit in answer.hits:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=quote(hit.text))))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=source_line(hit))]))
    if feedback:
        blocks.append(feedback_block(answer))
    if share:
        blocks.append(
            ActionsBlock(
                block_id="share",
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text="Share in channel"),
                        action_id=SHARE,
                        value=truncate(answer.question, BUTTON_VALUE_LIMIT),
                    )
                ],
            )
        )
    return _validated(blocks)


def answer_text(answer: Answer) -> str:
    """The plain `text` fallback (notifications, screen readers)."""
    if not answer.answered:
        return escape(NO_ANSWER_TEXT)
    best = answer.hits[0]
    return truncate(f"{escape(best.text)} (from {escape(best.title)})", FALLBACK_LIMIT)


def example_buttons(questions: Sequence[str] = EXAMPLE_QUESTIONS) -> ActionsBlock:
    return ActionsBlock(
        block_id="examples",
        elements=[
            ButtonElement(
                text=PlainTextObject(text=truncate(q, 75)),
                action_id=f"{ASK_EXAMPLE}_{n}",
                value=truncate(q, BUTTON_VALUE_LIMIT),
            )
            for n, q in enumerate(questions)
        ],
    )


def no_answer_blocks(question: str | None = None) -> list[dict]:
    """The honest no-answer reply with example questions as buttons."""
    blocks: list[Block] = []
    if question:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=truncate(f"*Q: {escape(question)}*", SECTION_LIMIT)))
        )
    blocks.append(SectionBlock(text=MarkdownTextObject(text=escape(NO_ANSWER_TEXT))))
    blocks.append(example_buttons())
    return _validated(blocks)


def overview_blocks(items: Sequence[OverviewItem]) -> list[dict]:
    """/mle-vs-swe with no text: one quoted passage per aspect of the difference."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="ML engineer vs software engineer"))]
    for item in items:
        text = f"*{escape(item.aspect)}*\n{quote(item.hit.text)}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT))))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=source_line(item.hit))]))
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text="Ask about one aspect with `/mle-vs-swe QUESTION`.")])
    )
    return _validated(blocks)


def overview_text(items: Sequence[OverviewItem]) -> str:
    return truncate(
        "ML engineer vs software engineer: " + " ".join(escape(i.hit.text) for i in items[:1]), FALLBACK_LIMIT
    )


def help_blocks() -> list[dict]:
    return _validated([SectionBlock(text=MarkdownTextObject(text=COMMANDS_HELP)), example_buttons()])


def _about_blocks(documents: Sequence[Document]) -> list[Block]:
    docs = "\n".join(f"• {source_line(d)}" for d in documents[:20])
    if len(documents) > 20:
        docs += f"\n• …and {len(documents) - 20} more"
    return [
        SectionBlock(text=MarkdownTextObject(text=escape(WELCOME_TEXT))),
        SectionBlock(text=MarkdownTextObject(text=truncate(f"*What I answer from*\n{docs}", SECTION_LIMIT))),
        SectionBlock(text=MarkdownTextObject(text=COMMANDS_HELP)),
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text="*Try one of these:*")),
        example_buttons(),
    ]


def home_view(documents: Sequence[Document]) -> dict:
    """The App Home tab: what the bot covers, the commands, example questions."""
    return {
        "type": "home",
        "blocks": _validated(
            [HeaderBlock(text=PlainTextObject(text="careerbot")), *_about_blocks(documents)]
        ),
    }


def welcome_blocks(documents: Sequence[Document]) -> list[dict]:
    return _validated(_about_blocks(documents))


def _validated(blocks: Sequence[Block]) -> list[dict]:
    """to_dict() validates every block's limits; Slack allows at most 50 blocks."""
    if len(blocks) > MAX_BLOCKS:
        blocks = list(blocks[: MAX_BLOCKS - 1]) + [blocks[-1]]
    return [b.to_dict() for b in blocks]
