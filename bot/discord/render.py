"""Pure rendering of engine results as Discord messages (embeds and buttons).

Only engine data (passage text, title, url, authors, site) and fixed sentences of ours
reach Discord. Every message sets allowed_mentions {"parse": []}, so no @everyone, role
or user ping can come out of a passage or a question. Text is also escaped: a zero-width
space after every "@" (it can't even look like a mention) and Discord markdown
backslash-escaped, so a passage or question reads exactly as written.

Limits kept (Discord's): content 2,000; embed title 256, description 4,096, footer 2,048;
10 embeds and 6,000 characters across them; 5 buttons a row, labels 80, custom_id 100.
Text over a limit is cut at a word boundary with an ellipsis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.discord.protocol import ButtonStyle, ComponentType, MessageFlag
from bot.text import truncate
from retrieval import NO_ANSWER_TEXT, Answer, Hit, OverviewItem

EPHEMERAL = MessageFlag.EPHEMERAL
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FOOTER_LIMIT = 2048
FOOTER_SHOWN = 300  # authors and site: a long author list must not eat the 6,000 meant for passages
EMBEDS_LIMIT = 10
TOTAL_LIMIT = 6000
LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
BUTTONS_PER_ROW = 5
NO_MENTIONS: dict = {"parse": []}
QUESTION_PREFIX = "**Q:** "
QUESTION_LIMIT = 1700  # leaves room in the 2,000 for "asked by" and the no-answer sentence
EMBED_COLOUR = 0x5865F2

# custom_ids of our buttons (what a click needs; the question itself is read back from
# the message's first line, which is ours).
VOTE_UP, VOTE_DOWN, VOTE_RECORDED, SHARE, ASK_PREFIX = (
    "vote:up",
    "vote:down",
    "vote:recorded",
    "share",
    "ask:",
)
# Resolution: "That answers it", "Ask a person" (each "<id>:<ask id>"), "Mark resolved"
# ("<id><hand-off id>") and the 👎 reason modal ("<id><answer message id>").
RESOLVED, HANDOFF, HANDOFF_RESOLVE, REASON_MODAL = (
    "resolve:answered",
    "resolve:person",
    "handoff:resolve:",
    "reason:",
)
REASON_CHOICE, REASON_TEXT = "reason", "text"
MODAL = 9
# "Ask careerbot" answers: Share posts the answer as a reply to the message it was asked about.
SHARE_REPLY_PREFIX = "share:reply:"
CHOICE_LIMIT = 100  # an autocomplete choice's name and value
CHOICES_LIMIT = 25

OVERVIEW_INTRO = "**ML engineer vs software engineer**, in the words of the articles I answer from:"

_MARKDOWN = re.compile(r"([\\*_~`|>\[\]<])")
_LINE_START = re.compile(r"^(\s*)([#\-+])", re.MULTILINE)
_ORDERED = re.compile(r"^(\s*\d+)\.", re.MULTILINE)


def defuse(text: str) -> str:
    """Text that can't mention anyone even if allowed_mentions were ignored."""
    return text.replace("@", "@\u200b")


def escape_markdown(text: str) -> str:
    """Defused text with Discord markdown escaped (bold, code, quotes, headings, lists, <@..>)."""
    escaped = _MARKDOWN.sub(r"\\\1", defuse(text))
    escaped = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    return _ORDERED.sub(lambda m: m.group(1) + "\\.", escaped)


def unescape_question(content: str) -> str:
    """The question back from a message whose first line question_line() wrote."""
    # The question line is the first of ours that starts with the prefix (a shared reply may
    # carry a link line above it); question_line() escapes "*", so a question can't fake one.
    line = next((ln for ln in content.split("\n")[:2] if ln.startswith(QUESTION_PREFIX)), "")
    if not line:
        return ""
    line = line[len(QUESTION_PREFIX) :]
    return re.sub(r"\\(.)", r"\1", line).replace("@\u200b", "@")


def question_line(question: str) -> str:
    return truncate(QUESTION_PREFIX + escape_markdown(" ".join(question.split())), QUESTION_LIMIT)


def hit_embed(hit: Hit, heading: str | None = None) -> dict:
    """One passage: quoted in the description, its source title linked, authors and site below."""
    footer = " · ".join(x for x in (", ".join(hit.authors), hit.site or "") if x)
    title = f"{heading}: {hit.title}" if heading else hit.title
    embed: dict = {
        "title": truncate(escape_markdown(title), TITLE_LIMIT),
        "description": truncate(escape_markdown(hit.text), DESCRIPTION_LIMIT),
        "color": EMBED_COLOUR,
    }
    if hit.url and hit.url.startswith(("http://", "https://")):
        embed["url"] = hit.url
    if footer:
        # Footers show plain text (no markdown), so only defuse them.
        embed["footer"] = {"text": truncate(defuse(footer), FOOTER_SHOWN)}
    return embed


def embed_size(embed: dict) -> int:
    """Characters that count towards the 6,000 across a message's embeds."""
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + len(embed.get("footer", {}).get("text", ""))
        + len(embed.get("author", {}).get("name", ""))
        + sum(len(f.get("name", "")) + len(f.get("value", "")) for f in embed.get("fields", []))
    )


def fit_embeds(embeds: list[dict], budget: int = TOTAL_LIMIT) -> list[dict]:
    """At most 10 embeds and `budget` characters across them: shorten the last descriptions
    first (the best passage keeps most of its text), then drop trailing embeds if needed."""
    embeds = [dict(e) for e in embeds[:EMBEDS_LIMIT]]
    total = sum(embed_size(e) for e in embeds)
    for embed in reversed(embeds):
        if total <= budget:
            break
        description = embed.get("description", "")
        shorter = truncate(description, max(100, len(description) - (total - budget)))
        total -= len(description) - len(shorter)
        embed["description"] = shorter
    while embeds and sum(embed_size(e) for e in embeds) > budget:
        embeds.pop()
    return embeds


def button(
    label: str, custom_id: str, style: ButtonStyle = ButtonStyle.SECONDARY, disabled: bool = False
) -> dict:
    data = {
        "type": ComponentType.BUTTON,
        "style": style,
        "label": truncate(label, LABEL_LIMIT),
        "custom_id": custom_id[:CUSTOM_ID_LIMIT],
    }
    if disabled:
        data["disabled"] = True
    return data


def with_ask(custom_id: str, ask_id: str | None) -> str:
    """A button id carrying the ask id ("vote:up:<ask id>"); the bare id for old answers."""
    return f"{custom_id}:{ask_id}" if ask_id else custom_id


def split_ask(custom_id: str, base: str) -> tuple[bool, str | None]:
    """(is this button `base`, the ask id it carries or None)."""
    if custom_id == base:
        return True, None
    if custom_id.startswith(base + ":"):
        rest = custom_id[len(base) + 1 :]
        return True, rest if rest.isalnum() and len(rest) <= 64 else None
    return False, None


def feedback_row(share: bool, reply_to: str | None = None, ask_id: str | None = None) -> dict:
    """Votes, "That answers it", "Ask a person", and Share: in the channel, or as a reply to
    message `reply_to` (five buttons, Discord's most in a row)."""
    buttons = [
        button("👍 Helpful", with_ask(VOTE_UP, ask_id)),
        button("👎 Not helpful", with_ask(VOTE_DOWN, ask_id)),
        button("✅ That answers it", with_ask(RESOLVED, ask_id), style=ButtonStyle.SUCCESS),
        button("🙋 Ask a person", with_ask(HANDOFF, ask_id)),
    ]
    if share and reply_to:
        buttons.append(
            button("Share as a reply", f"{SHARE_REPLY_PREFIX}{reply_to}", style=ButtonStyle.PRIMARY)
        )
    elif share:
        buttons.append(button("Share in channel", SHARE, style=ButtonStyle.PRIMARY))
    return {"type": ComponentType.ACTION_ROW, "components": buttons}


def share_reply_target(custom_id: str) -> str | None:
    """The message id a "Share as a reply" button answers (None if the id is not a snowflake)."""
    rest = custom_id[len(SHARE_REPLY_PREFIX) :] if custom_id.startswith(SHARE_REPLY_PREFIX) else ""
    return rest if rest.isdigit() else None


def jump_link(guild_id: str | None, channel_id: str, message_id: str) -> str:
    """A link to a message (guild "@me" for DMs)."""
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"


def autocomplete_choices(questions: Sequence[str]) -> list[dict]:
    """Autocomplete choices: at most 25, name and value 1-100 characters (longer ones left out,
    since a cut value would ask a different question)."""
    choices = []
    for question in questions:
        text = " ".join(question.split())
        if 1 <= len(text) <= CHOICE_LIMIT:
            choices.append({"name": text, "value": text})
        if len(choices) == CHOICES_LIMIT:
            break
    return choices


def example_custom_id(position: int, question: str) -> str:
    """ "ask:<question>" when it fits in a custom_id, else "ask:#<position>": a button keeps asking
    what its label shows even if the example list changes between two deploys."""
    whole = f"{ASK_PREFIX}{question}"
    return (
        whole
        if len(whole) <= CUSTOM_ID_LIMIT and not question.startswith("#")
        else f"{ASK_PREFIX}#{position}"
    )


def example_question(custom_id: str, examples: Sequence[str]) -> str | None:
    """The question an example button asks (None for an unknown position)."""
    rest = custom_id[len(ASK_PREFIX) :]
    if not rest.startswith("#"):
        return rest or None
    position = rest[1:]
    # ASCII digits only: "²".isdigit() is True, but int("²") raises.
    if not (position.isascii() and position.isdigit()) or len(position) > 3:
        return None
    return examples[int(position)] if int(position) < len(examples) else None


def example_row(questions: Sequence[str]) -> dict:
    """The example questions as buttons."""
    return {
        "type": ComponentType.ACTION_ROW,
        "components": [button(q, example_custom_id(n, q)) for n, q in enumerate(questions[:BUTTONS_PER_ROW])],
    }


def answer_message(
    answer: Answer,
    *,
    examples: Sequence[str] = (),
    ephemeral: bool = True,
    asked_by: str | None = None,
    share: bool = True,
    buttons: bool = True,
    reply_to: str | None = None,
    prefix: str | None = None,
    ask_id: str | None = None,
) -> dict:
    """The message data for an answer, or for the no-answer reply (with `examples` as buttons).

    `asked_by` is a user id shown as a mention (rendered as the name; allowed_mentions keeps
    it from pinging). The Share button appears on ephemeral answers only; with `reply_to`
    it shares as a reply to that message. `prefix` is a line of ours above the question.
    """
    content = question_line(answer.question)
    if prefix:
        content = f"{prefix}\n{content}"
    if asked_by:
        content += f"\nasked by <@{int(asked_by)}>" if asked_by.isdigit() else ""
    message: dict
    if not answer.answered:
        message = {"content": truncate(f"{content}\n{answer.no_answer or NO_ANSWER_TEXT}", CONTENT_LIMIT)}
        if buttons and examples:
            message["components"] = [example_row(examples)]
            if ask_id:
                message["components"].append(
                    {"type": 1, "components": [button("🙋 Ask a person", with_ask(HANDOFF, ask_id))]}
                )
        else:
            message["content"] = truncate(
                message["content"] + "".join(f"\n• {defuse(q)}" for q in examples), CONTENT_LIMIT
            )
    else:
        message = {
            "content": truncate(content, CONTENT_LIMIT),
            "embeds": fit_embeds([hit_embed(h) for h in answer.hits]),
        }
        if buttons:
            message["components"] = [
                feedback_row(share=ephemeral and share, reply_to=reply_to, ask_id=ask_id)
            ]
    message["allowed_mentions"] = NO_MENTIONS
    if ephemeral:
        message["flags"] = EPHEMERAL
    return message


def overview_message(items: Sequence[OverviewItem], ephemeral: bool = True) -> dict:
    """How the roles differ: one embed per aspect, titled "Aspect: source title"."""
    message: dict = {
        "content": OVERVIEW_INTRO,
        "embeds": fit_embeds([hit_embed(i.hit, heading=i.aspect) for i in items]),
        "allowed_mentions": NO_MENTIONS,
    }
    if ephemeral:
        message["flags"] = EPHEMERAL
    return message


def notice(text: str, ephemeral: bool = True) -> dict:
    """A one-line message of ours (errors, confirmations)."""
    message: dict = {"content": truncate(defuse(text), CONTENT_LIMIT), "allowed_mentions": NO_MENTIONS}
    if ephemeral:
        message["flags"] = EPHEMERAL
    return message


def recorded_vote_components(vote: str, saved: bool, ask_id: str | None = None) -> list[dict]:
    """After a vote on an ephemeral answer: the recorded vote, a button to change it, and
    "That answers it" / "Ask a person" (kept with the ask id)."""
    emoji = "👍" if vote == "up" else "👎"
    other, other_id = ("👎", VOTE_DOWN) if vote == "up" else ("👍", VOTE_UP)
    label = f"Your vote: {emoji}" if saved else "Vote not saved, try again"
    return [
        {
            "type": ComponentType.ACTION_ROW,
            "components": [
                button(label, VOTE_RECORDED, disabled=True),
                button(f"Change to {other}", with_ask(other_id, ask_id))
                if saved
                else button(emoji, with_ask(f"vote:{vote}", ask_id)),
                button("✅ That answers it", with_ask(RESOLVED, ask_id), style=ButtonStyle.SUCCESS),
                button("🙋 Ask a person", with_ask(HANDOFF, ask_id)),
            ],
        }
    ]


def reason_modal(answer_key: str) -> dict:
    """The optional 👎 reason (type 9): a select of our fixed reasons and a short text, both optional."""
    from bot.store import DOWN_REASONS

    return {
        "type": MODAL,
        "data": {
            "custom_id": f"{REASON_MODAL}{answer_key}"[:CUSTOM_ID_LIMIT],
            "title": "What was wrong?",
            "components": [
                {
                    "type": 18,  # label
                    "label": "The answer was…",
                    "component": {
                        "type": 3,  # string select
                        "custom_id": REASON_CHOICE,
                        "required": False,
                        "min_values": 0,
                        "max_values": 1,
                        "options": [{"label": label, "value": key} for key, label in DOWN_REASONS.items()],
                    },
                },
                {
                    "type": 18,
                    "label": "Anything to add? (optional)",
                    "component": {
                        "type": 4,  # text input
                        "custom_id": REASON_TEXT,
                        "style": 2,
                        "required": False,
                        "max_length": 500,
                    },
                },
            ],
        },
    }


def modal_values(data: dict) -> dict[str, str | list[str]]:
    """custom_id -> value (text input) or values (select) from a modal submission, in either
    layout Discord sends (label components, or action rows of text inputs)."""
    found: dict[str, str | list[str]] = {}

    def walk(component: object) -> None:
        if isinstance(component, list):
            for c in component:
                walk(c)
            return
        if not isinstance(component, dict):
            return
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str):
            if isinstance(component.get("values"), list):
                found[custom_id] = [str(v) for v in component["values"]]
            elif isinstance(component.get("value"), str):
                found[custom_id] = component["value"]
        walk(component.get("component"))
        walk(component.get("components"))

    walk(data.get("components"))
    return found


def handoff_message(helpers: object, asker: str, question: str, handoff_id: str, nobody_text: str) -> dict:
    """The hand-off reply: the configured roles and users mentioned (allowed_mentions names
    exactly them), or our sentence saying whom to ask; the question quoted; "Mark resolved"."""
    from bot.helpers import Helpers

    assert isinstance(helpers, Helpers)
    mentions, allowed = helpers.discord_mentions()
    who = f"<@{int(asker)}>" if asker.isdigit() else "Someone"
    head = f"{mentions} {who} would like a person to answer this:" if mentions else defuse(nobody_text)
    quoted = "> " + escape_markdown(" ".join(question.split())) if question else ""
    return {
        "content": truncate(f"{head}\n{quoted}", CONTENT_LIMIT),
        "allowed_mentions": allowed if mentions else NO_MENTIONS,
        "components": [
            {
                "type": 1,
                "components": [
                    button("Mark resolved", f"{HANDOFF_RESOLVE}{handoff_id}", style=ButtonStyle.SUCCESS)
                ],
            }
        ],
    }


def resolved_message(content: str, resolver: str) -> dict:
    """The hand-off once resolved (an update of its message): no button, who resolved it, no pings."""
    who = f"<@{int(resolver)}>" if resolver.isdigit() else "someone"
    return {
        "content": truncate(f"{content}\n✅ Resolved by {who}", CONTENT_LIMIT),
        "components": [],
        "allowed_mentions": NO_MENTIONS,
    }


def vote_notice(vote: str, saved: bool) -> dict:
    """The private reply to a vote on a public (shared) answer, whose buttons stay for everyone."""
    emoji = "👍" if vote == "up" else "👎"
    if saved:
        return notice(f"Thanks, your vote {emoji} is recorded. Click the other button to change it.")
    return notice(
        f"Sorry, your vote {emoji} wasn't saved (the database is unavailable). Please try again later."
    )
