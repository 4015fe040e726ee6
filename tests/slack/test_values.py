"""Button values: what our buttons carry round-trips, old values stay readable, junk reads as empty."""

from __future__ import annotations

import json

from bot.slack.values import VALUE_LIMIT, QuestionValue, VoteValue


def test_a_vote_value_round_trips_in_the_shape_already_in_messages() -> None:
    value = VoteValue(question="What is MLOps?", passage_ids=("a#0", "b#2"), scores=(3.25, 1.0))
    encoded = value.encode()
    assert json.loads(encoded) == {"q": "What is MLOps?", "p": ["a#0", "b#2"], "s": [3.25, 1.0]}
    assert encoded == json.dumps({"q": "What is MLOps?", "p": ["a#0", "b#2"], "s": [3.25, 1.0]})
    assert VoteValue.decode(encoded) == value


def test_a_long_question_is_shortened_to_fit_and_junk_reads_as_empty() -> None:
    long = VoteValue(question="é" * 5000, passage_ids=("a#0",), scores=(1.0,)).encode()
    assert len(long) <= VALUE_LIMIT and VoteValue.decode(long).passage_ids == ("a#0",)
    for junk in ("", "not json", "[1, 2]", '{"p": {"x": 1}}'):
        assert VoteValue.decode(junk) == VoteValue()
    assert QuestionValue(question="x" * 3000).encode().endswith("…")
    assert QuestionValue.decode(None).question == ""
