"""`careerbot feedback`: vote totals and the questions worth a look, as plain text."""

from __future__ import annotations

from bot.store import FeedbackTotals

SHOWN = 20


def render_feedback_report(totals: FeedbackTotals) -> str:
    """Totals, the 👎 rate, and the questions that got no answer or a 👎 (pure)."""
    lines = [
        f"votes: {totals.up + totals.down} ({totals.up} 👍, {totals.down} 👎)",
        f"👎 rate: {totals.down_rate:.0%}" if totals.up + totals.down else "👎 rate: no votes yet",
    ]
    for title, questions in (
        ("questions with a 👎", totals.downvoted_questions),
        ("questions with no answer (most asked first)", totals.unanswered_questions),
    ):
        lines.append(f"\n{title}: {len(questions)}")
        lines.extend(f"  - {q[:200]}" for q in questions[:SHOWN])
        if len(questions) > SHOWN:
            lines.append(f"  … and {len(questions) - SHOWN} more")
    return "\n".join(lines)
