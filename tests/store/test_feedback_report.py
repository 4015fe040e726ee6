"""`careerbot feedback` text: a pure function of FeedbackTotals, and end to end from a real store."""

from __future__ import annotations

from bot.feedback_report import SHOWN, render_feedback_report
from bot.store import FeedbackTotals, Store
from tests.store.workers import vote


def totals(
    up: int = 0, down: int = 0, downvoted: list[str] | None = None, unanswered: list[str] | None = None
):
    return FeedbackTotals(
        up=up,
        down=down,
        down_rate=down / (up + down) if up + down else 0.0,
        downvoted_questions=downvoted or [],
        unanswered_questions=unanswered or [],
    )


def test_no_votes_yet() -> None:
    report = render_feedback_report(totals())
    assert report.splitlines()[:2] == ["votes: 0 (0 👍, 0 👎)", "👎 rate: no votes yet"]
    assert "questions with a 👎: 0" in report and "questions with no answer (most asked first): 0" in report


def test_totals_rate_and_questions() -> None:
    report = render_feedback_report(
        totals(up=3, down=1, downvoted=["Is a PhD required?"], unanswered=["Tell me a joke", "Lunch?"])
    )
    lines = report.splitlines()
    assert lines[:2] == ["votes: 4 (3 👍, 1 👎)", "👎 rate: 25%"]
    assert lines[lines.index("questions with a 👎: 1") + 1] == "  - Is a PhD required?"
    start = lines.index("questions with no answer (most asked first): 2")
    assert lines[start + 1 : start + 3] == ["  - Tell me a joke", "  - Lunch?"]


def test_long_lists_and_questions_are_cut() -> None:
    many = [f"question {n}" for n in range(SHOWN + 7)]
    report = render_feedback_report(totals(down=1, downvoted=["y" * 500], unanswered=many))
    assert "  - " + "y" * 200 + "\n" in report + "\n" and "y" * 201 not in report
    assert f"  - question {SHOWN - 1}" in report and f"question {SHOWN}\n" not in report + "\n"
    assert "… and 7 more" in report


def test_report_from_a_real_store(store: Store) -> None:
    store.record_vote(vote("U1", "down"))
    store.record_vote(vote("U2", "up", key="C1:2.0", question="Do ML engineers write tests?"))
    store.log_unanswered("slack", "What time is lunch?")
    report = render_feedback_report(store.feedback_totals())
    assert "votes: 2 (1 👍, 1 👎)" in report and "👎 rate: 50%" in report
    assert "  - What is MLOps?" in report and "  - What time is lunch?" in report
    assert "Do ML engineers write tests?" not in report  # only 👍: nothing to look at
