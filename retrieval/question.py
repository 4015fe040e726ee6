"""Turning raw user text (Slack markup and all) into a clean, searchable question."""

from __future__ import annotations

import html
import re
import unicodedata

from retrieval.errors import QuestionError

MAX_QUESTION_CHARS = 1_000  # a question, not a document: longer text is refused with a clear message

# <@U123>, <@U123|name>, <!here>, <!subteam^S1|@team>, <#C123|general>, <https://x|label>, <mailto:..>
_SLACK_LINK = re.compile(r"<([^<>]*)>")
_EMOJI = re.compile(r":[a-z0-9_+\-']+(?:::skin-tone-\d)?:", re.I)


def strip_slack_markup(text: str) -> str:
    """Remove mentions, channel links and emoji; keep a link's label. Unescape &amp; &lt; &gt;."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner.startswith(("@", "!", "#")):
            return " "  # a mention, broadcast or channel reference is not part of the question
        label = inner.split("|", 1)[1] if "|" in inner else ""
        return f" {label} "

    text = _SLACK_LINK.sub(replace, text)
    text = _EMOJI.sub(" ", text)
    return html.unescape(text)


def _control_characters(text: str) -> list[str]:
    return sorted({c for c in text if unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n\r"})


def clean_question(raw: str) -> str:
    """The question as it will be searched and echoed, or QuestionError saying what is wrong."""
    if not isinstance(raw, str):
        raise QuestionError("The question must be text.")
    if len(raw) > MAX_QUESTION_CHARS * 10:
        # Checked before any regex work so a huge paste costs nothing.
        raise QuestionError(
            f"The question is too long ({len(raw):,} characters; at most {MAX_QUESTION_CHARS:,}). "
            "Please ask a shorter question."
        )
    bad = _control_characters(raw)
    if bad:
        names = ", ".join(f"U+{ord(c):04X}" for c in bad[:3])
        raise QuestionError(f"The question contains control characters ({names}); please send plain text.")
    text = " ".join(strip_slack_markup(raw).split())
    if not text:
        raise QuestionError('The question is empty: ask something like "What does an ML engineer do?"')
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is too long ({len(text):,} characters; at most {MAX_QUESTION_CHARS:,}). "
            "Please ask a shorter question."
        )
    return text
