"""Pure rendering of engine results as Slack Block Kit (validated by slack_sdk.models).

Every text that reaches Slack goes through `escape()`: passages and echoed questions can
never produce a <!channel>, <!here> or <@U...> ping. The only mention we build is the
"asked by" of a shared answer, from the user id Slack gave us.
"""

from __future__ import annotations

import re
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

from bot.slack.values import VALUE_LIMIT, QuestionValue, VoteValue
from bot.text import truncate
from retrieval import EXAMPLE_QUESTIONS, NO_ANSWER_TEXT, Answer, Document, Hit, OverviewItem

__all__ = [
    "answer_blocks",
    "answer_text",
    "escape",
    "help_blocks",
    "home_view",
    "no_answer_blocks",
    "overview_blocks",
    "overview_text",
    "question_problem_blocks",
    "question_problem_text",
    "recorded_vote_blocks",
    "replace_feedback",
    "vote_notice",
    "welcome_blocks",
]

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
BUTTON_VALUE_LIMIT = VALUE_LIMIT  # bot/slack/values.py
BUTTON_TEXT_LIMIT = 75
FALLBACK_LIMIT = 3000
MAX_EXAMPLES = 5  # an actions block allows 25 elements; more than a few is noise
TITLE_LIMIT = 300  # a title, author list or site name in a source line (after escaping)
URL_LIMIT = 2000  # a longer url is shown as plain text rather than a link

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")

# action_id values, used by the listeners that handle them.
VOTE_UP = "vote_up"
VOTE_DOWN = "vote_down"
SHARE = "share_answer"
ASK_EXAMPLE = "ask_example"
FEEDBACK_BLOCK = "feedback"
SHARE_IN_THREAD = "share_in_thread"  # "Ask careerbot" answers: post in the message's thread
ASK_SHORTCUT = "ask_careerbot"  # the message shortcut's callback_id (manifest.json)
MAX_PROMPTS = 4  # Slack shows at most four suggested prompts
PROMPT_TITLE_LIMIT = 75
PROMPTS_TITLE = "Ask me about ML engineering and software engineering careers"
RESOLVED = "resolution_answered"  # "That answers it"
HANDOFF = "resolution_handoff"  # "Ask a person"
HANDOFF_RESOLVE = "handoff_resolve"  # "Mark resolved" on a hand-off
RESOLUTION_BLOCK = "resolution"
DOWN_REASON_VIEW = "down_reason"  # the 👎 reason modal's callback_id
REASON_BLOCK, REASON_CHOICE, REASON_TEXT_BLOCK, REASON_TEXT = "reason", "reason_choice", "reason_text", "text"

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


def clip(escaped: str, limit: int) -> str:
    """truncate() for text already escaped: never leaves half an entity ("&am…") behind."""
    cut = truncate(escaped, limit)
    if cut != escaped:
        cut = _PARTIAL_ENTITY.sub("", cut[:-1]).rstrip() + "…"
    return cut


def quote(text: str) -> str:
    """A passage as a Slack block quote, escaped and within a section's limit."""
    body = "\n".join(f"> {line}" if line.strip() else ">" for line in escape(text).split("\n"))
    return clip(body, SECTION_LIMIT)


def _link(url: str | None, label: str) -> str:
    # The label is cut before it is wrapped, so a long title can never leave a link unclosed;
    # it is one line (a line break inside <url|label> would read as a quote's ">" after it).
    label = clip(escape(" ".join(label.split())).replace("|", "¦"), TITLE_LIMIT)
    if url and url.startswith(("http://", "https://")) and len(url) <= URL_LIMIT:
        return f"<{escape(url).replace('|', '%7C')}|{label}>"
    return label


def source_line(hit: Hit | Document) -> str:
    """ "Title (linked) · authors · site" as mrkdwn, within a section's limit."""
    parts = [f"*{_link(hit.url, hit.title)}*"]
    if hit.authors:
        parts.append(clip(escape(", ".join(hit.authors)), TITLE_LIMIT))
    if hit.site:
        parts.append(clip(escape(hit.site), TITLE_LIMIT))
    return " · ".join(parts)


def _vote_value(answer: Answer, ask_id: str | None = None) -> str:
    """What a vote button carries: the question, passage ids and scores, and the ask id
    (<= 2,000 chars)."""
    return VoteValue(
        question=answer.question,
        passage_ids=tuple(h.passage_id for h in answer.hits),
        scores=tuple(h.score for h in answer.hits),
        ask_id=ask_id,
    ).encode()


def resolution_block(answer: Answer, ask_id: str | None, answered: bool = True) -> ActionsBlock:
    """ "That answers it" (answers only) and "Ask a person" (always): both carry the vote value."""
    value = _vote_value(answer, ask_id)
    buttons = [ButtonElement(text=PlainTextObject(text="🙋 Ask a person"), action_id=HANDOFF, value=value)]
    if answered:
        buttons.insert(
            0, ButtonElement(text=PlainTextObject(text="✅ That answers it"), action_id=RESOLVED, value=value)
        )
    return ActionsBlock(block_id=RESOLUTION_BLOCK, elements=buttons)


def feedback_block(answer: Answer, ask_id: str | None = None) -> ActionsBlock:
    value = _vote_value(answer, ask_id)
    return ActionsBlock(
        block_id=FEEDBACK_BLOCK,
        elements=[
            ButtonElement(text=PlainTextObject(text="👍 Helpful"), action_id=VOTE_UP, value=value),
            ButtonElement(text=PlainTextObject(text="👎 Not helpful"), action_id=VOTE_DOWN, value=value),
        ],
    )


VOTE_NOT_SAVED = "Sorry, your vote could not be saved. Please try again later."


def vote_notice(vote: str, saved: bool = True) -> str:
    """The private confirmation of a vote on an answer other people see too."""
    if not saved:
        return VOTE_NOT_SAVED
    emoji, other = ("👍", "👎") if vote == "up" else ("👎", "👍")
    return f"Thanks, your {emoji} is recorded. Click {other} on the answer to change it."


def recorded_vote_blocks(vote: str, value: str, saved: bool = True) -> list[Block]:
    """What replaces the 👍/👎 buttons after a click: the vote, and a button to change it."""
    emoji = "👍" if vote == "up" else "👎"
    other, other_action = ("👎", VOTE_DOWN) if vote == "up" else ("👍", VOTE_UP)
    text = f"Thanks, your {emoji} is recorded." if saved else VOTE_NOT_SAVED
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
    recorded = [b.to_dict() for b in recorded_vote_blocks(vote, value, saved)]
    out: list[dict] = []
    for block in blocks:
        if block.get("block_id") in (FEEDBACK_BLOCK, f"{FEEDBACK_BLOCK}_note"):
            out.extend(recorded)  # where the buttons were, once
            recorded = []
        else:
            out.append(block)
    return out + recorded


def answer_blocks(
    answer: Answer,
    *,
    restate: bool = False,
    asked_by: str | None = None,
    share: bool = False,
    feedback: bool = True,
    examples: Sequence[str] = EXAMPLE_QUESTIONS,
    ask_id: str | None = None,
) -> list[dict]:
    """Block Kit for an answer: each passage quoted with its source, then the buttons.

    An unanswered question gets the no-answer reply, with `examples` as buttons (and, with an
    `ask_id`, "Ask a person").
    """
    if not answer.answered:
        handoff = [resolution_block(answer, ask_id, answered=False)] if feedback and ask_id else []
        return no_answer_blocks(
            answer.question if restate else None, examples, answer.no_answer, extra=handoff
        )
    blocks: list[Block] = []
    if asked_by:
        # The one mention we build: the person who shared, from the id Slack gave us.
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"<@{asked_by}> asked: *{clip(escape(answer.question), SECTION_LIMIT - 40)}*"
                    )
                ]
            )
        )
    elif restate:
        blocks.append(_restated(answer.question))
    for hit in answer.hits:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=quote(hit.text))))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=source_line(hit))]))
    if feedback:
        blocks.append(feedback_block(answer, ask_id))
        blocks.append(resolution_block(answer, ask_id))
    if share:
        blocks.append(
            ActionsBlock(
                block_id="share",
                elements=[
                    ButtonElement(
                        text=PlainTextObject(text="Share in channel"),
                        action_id=SHARE,
                        value=QuestionValue(question=answer.question).encode(),
                    )
                ],
            )
        )
    return _validated(blocks)


def answer_text(answer: Answer) -> str:
    """The plain `text` fallback (notifications, screen readers)."""
    if not answer.answered:
        return escape(answer.no_answer or NO_ANSWER_TEXT)
    best = answer.hits[0]
    return clip(f"{escape(best.text)} (from {escape(best.title)})", FALLBACK_LIMIT)


def example_buttons(questions: Sequence[str]) -> list[Block]:
    """Buttons that ask the example questions (none when there are none)."""
    questions = [q for q in questions if q.strip()][:MAX_EXAMPLES]
    if not questions:
        return []
    return [
        ActionsBlock(
            block_id="examples",
            elements=[
                ButtonElement(
                    # plain_text: Slack shows it as typed, so a button label cannot ping anyone
                    text=PlainTextObject(text=truncate(q, BUTTON_TEXT_LIMIT)),
                    action_id=f"{ASK_EXAMPLE}_{n}",
                    value=QuestionValue(question=q).encode(),
                )
                for n, q in enumerate(questions)
            ],
        )
    ]


def _restated(question: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=f"*Q: {clip(escape(question), SECTION_LIMIT - 10)}*"))


def no_answer_blocks(
    question: str | None = None,
    examples: Sequence[str] = EXAMPLE_QUESTIONS,
    sentence: str | None = None,
    extra: Sequence[Block] = (),
) -> list[dict]:
    """The honest no-answer reply with example questions as buttons."""
    blocks: list[Block] = [_restated(question)] if question else []
    blocks.append(SectionBlock(text=MarkdownTextObject(text=escape(sentence or NO_ANSWER_TEXT))))
    blocks.extend(example_buttons(examples))
    blocks.extend(extra)
    return _validated(blocks)


# -- resolution: "That answers it", the 👎 reason, "Ask a person" -------------------------------

ANSWERED_NOTICE = "Thanks! Glad that answered it."
ANSWERED_NOT_SAVED = "Sorry, that could not be saved. Please try again later."
REASON_SAVED = "Thanks, your reason is recorded with your 👎."
HANDOFF_ALREADY = "People were already asked about this question in this conversation."
HANDOFF_NOT_SAVED = "Sorry, I couldn't hand this over right now. Please try again later."
HANDOFF_POSTED = "I've asked people for you; they'll reply in this conversation."
HANDOFF_NOBODY_POSTED = "Nobody is set up to take questions here; I've said whom to ask instead."
RESOLVE_REFUSED = "Only the person who asked or one of the helpers can mark this resolved."
RESOLVE_GONE = "That hand-off is no longer known (or already resolved)."


def reason_view(private_metadata: str) -> dict:
    """The optional-reason modal opened after a 👎: a few fixed choices and a short text."""
    from bot.store import DOWN_REASONS

    return {
        "type": "modal",
        "callback_id": DOWN_REASON_VIEW,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "What was wrong?"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "The answer was…"},
                "element": {
                    "type": "radio_buttons",
                    "action_id": REASON_CHOICE,
                    "options": [
                        {"text": {"type": "plain_text", "text": label}, "value": key}
                        for key, label in DOWN_REASONS.items()
                    ],
                },
            },
            {
                "type": "input",
                "block_id": REASON_TEXT_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Anything to add? (optional)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_TEXT,
                    "max_length": 500,
                    "placeholder": {"type": "plain_text", "text": "What were you looking for?"},
                },
            },
        ],
    }


def handoff_blocks(
    mentions: str, asker: str | None, question: str, handoff_id: str, nobody_text: str
) -> list[dict]:
    """The hand-off message: the helpers' mentions (built from configured ids only) or, with
    none, our sentence saying whom to ask; the question restated; "Mark resolved"."""
    who = f"<@{asker}>" if asker and asker.isalnum() else "Someone"
    head = f"{mentions} {who} would like a person to answer this:" if mentions else escape(nobody_text)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=clip(head, SECTION_LIMIT))),
        SectionBlock(text=MarkdownTextObject(text=quote(question) if question else "_(question not shown)_")),
        ActionsBlock(
            block_id="handoff",
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="Mark resolved"),
                    action_id=HANDOFF_RESOLVE,
                    value=handoff_id,
                    style="primary",
                )
            ],
        ),
    ]
    return _validated(blocks)


def handoff_text(mentions: str, question: str, nobody_text: str) -> str:
    """The notification text: it carries the mentions, so helpers are notified."""
    head = f"{mentions} a question for a person" if mentions else escape(nobody_text)
    return clip(f"{head}: {escape(question)}", FALLBACK_LIMIT)


def resolved_blocks(blocks: Sequence[dict], resolver: str) -> list[dict]:
    """The hand-off message once resolved: its text kept, the button replaced by who resolved it."""
    kept = [b for b in blocks if b.get("block_id") != "handoff"]
    note = ContextBlock(
        block_id="handoff_resolved",
        elements=[
            MarkdownTextObject(text=f"✅ Resolved by <@{resolver}>" if resolver.isalnum() else "✅ Resolved")
        ],
    )
    return [*kept, note.to_dict()]


def question_problem_text(problem: str) -> str:
    return clip(escape(f"I couldn't read that as a question. {problem}"), SECTION_LIMIT)


def question_problem_blocks(problem: str, examples: Sequence[str] = EXAMPLE_QUESTIONS) -> list[dict]:
    """A kind reply to an empty or too long question (QuestionError), with examples to try."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=question_problem_text(problem)))]
    blocks.extend(example_buttons(examples))
    return _validated(blocks)


def overview_blocks(items: Sequence[OverviewItem]) -> list[dict]:
    """/mle-vs-swe with no text: one quoted passage per aspect of the difference."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="ML engineer vs software engineer"))]
    for item in items:
        text = f"*{escape(item.aspect)}*\n{quote(item.hit.text)}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT))))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=source_line(item.hit))]))
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text="Ask about one aspect with `/mle-vs-swe QUESTION`.")])
    )
    return _validated(blocks)


def overview_text(items: Sequence[OverviewItem]) -> str:
    """The plain `text` fallback of the overview."""
    return clip(
        "ML engineer vs software engineer: " + " ".join(escape(i.hit.text) for i in items[:1]), FALLBACK_LIMIT
    )


def help_blocks(examples: Sequence[str] = EXAMPLE_QUESTIONS) -> list[dict]:
    """Usage of the commands (`/mle-vs-swe help`), with example questions as buttons."""
    return _validated([SectionBlock(text=MarkdownTextObject(text=COMMANDS_HELP)), *example_buttons(examples)])


def document_list(documents: Sequence[Document]) -> str:
    """The documents as linked lines, whole lines only, within a section's limit."""
    heading, lines, used = "*What I answer from*", [], 0
    budget = SECTION_LIMIT - len(heading) - 40  # room for the "...and N more" line
    for doc in documents:
        line = f"• {source_line(doc)}"
        if used + len(line) + 1 > budget:
            break
        lines.append(line)
        used += len(line) + 1
    if len(lines) < len(documents):
        lines.append(f"• …and {len(documents) - len(lines)} more")
    return "\n".join([heading, *lines])


def _about_blocks(
    documents: Sequence[Document], examples: Sequence[str], description: str | None = None
) -> list[Block]:
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=escape(description or WELCOME_TEXT))),
        SectionBlock(text=MarkdownTextObject(text=document_list(documents))),
        SectionBlock(text=MarkdownTextObject(text=COMMANDS_HELP)),
    ]
    buttons = example_buttons(examples)
    if buttons:
        blocks += [
            DividerBlock(),
            SectionBlock(text=MarkdownTextObject(text="*Try one of these:*")),
            *buttons,
        ]
    return blocks


def home_view(
    documents: Sequence[Document],
    examples: Sequence[str] = EXAMPLE_QUESTIONS,
    description: str | None = None,
) -> dict:
    """The App Home tab: what the bot covers (the corpus's description), the commands, examples."""
    return {
        "type": "home",
        "blocks": _validated(
            [
                HeaderBlock(text=PlainTextObject(text="careerbot")),
                *_about_blocks(documents, examples, description),
            ]
        ),
    }


def welcome_blocks(
    documents: Sequence[Document],
    examples: Sequence[str] = EXAMPLE_QUESTIONS,
    description: str | None = None,
) -> list[dict]:
    """The welcome for a new member of an onboarding channel: the Home tab's content."""
    return _validated(_about_blocks(documents, examples, description))


def _validated(blocks: Sequence[Block]) -> list[dict]:
    """to_dict() validates every block's limits; Slack allows at most 50 blocks."""
    if len(blocks) > MAX_BLOCKS:
        blocks = list(blocks[: MAX_BLOCKS - 1]) + [blocks[-1]]
    return [b.to_dict() for b in blocks]


def suggested_prompts(questions: Sequence[str]) -> list[dict[str, str]]:
    """Up to four suggested prompts (title shown, message sent as the person's question).
    Plain text on Slack's side, so nothing in them can ping anyone."""
    prompts = []
    for question in questions:
        text = " ".join(question.split())
        if text:
            prompts.append(
                {"title": truncate(text, PROMPT_TITLE_LIMIT), "message": text[:BUTTON_VALUE_LIMIT]}
            )
        if len(prompts) == MAX_PROMPTS:
            break
    return prompts


def with_share_in_thread(answer_blocks_: list[dict], value: str) -> list[dict]:
    """An ephemeral answer's blocks plus the button that posts it in the message's thread."""
    button = ActionsBlock(
        block_id="share",
        elements=[
            ButtonElement(
                text=PlainTextObject(text="Share in thread"), action_id=SHARE_IN_THREAD, value=value
            )
        ],
    )
    return [*answer_blocks_, *_validated([button])]
