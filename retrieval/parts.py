"""Multi-part questions: "two qs: 1) is MLE future proof 2) what should i learn".

A question splits at enumerators ("1)", "2.", "(a)", "b)") and after a question mark
followed by more text. Pure; the engine answers each part and the whole.
"""

from __future__ import annotations

import re

from retrieval.analyzer import tokenize

# "1)", "(2)", "b)" anywhere; "1." only at the start of a line ("version 2. of" is no list).
_ENUMERATOR = re.compile(r"(?:^|(?<=\s))\(?(?:\d{1,2}|[a-eA-E])\)(?=\s)|(?m:^\s*\d{1,2}\.(?=\s))")
_AFTER_QUESTION_MARK = re.compile(r"(?<=\?)\s+(?=\S)")
MIN_PART_TERMS = 1  # a fragment without a content word ("hi?") joins the next part


def split_parts(text: str) -> list[str]:
    """The parts of a question, in order; one part when it has no several questions."""
    if not _ENUMERATOR.search(text) and not _AFTER_QUESTION_MARK.search(text):
        return [text]  # the common case: one question, nothing to analyze
    pieces: list[str] = []
    for chunk in _ENUMERATOR.split(text):
        pieces.extend(_AFTER_QUESTION_MARK.split(chunk))
    parts: list[str] = []
    carry = ""
    for piece in pieces:
        piece = f"{carry} {piece}".strip() if carry else piece.strip()
        if piece.endswith(":"):
            # A lead-in ("two qs:") introduces the parts rather than being one; the whole
            # question, which the engine also answers, keeps it.
            carry = ""
            continue
        if len(tokenize(piece)) < MIN_PART_TERMS:
            carry = piece
            continue
        parts.append(piece)
        carry = ""
    if carry:
        if parts:
            parts[-1] = f"{parts[-1]} {carry}"
        else:
            parts.append(carry)
    return parts or [text]
