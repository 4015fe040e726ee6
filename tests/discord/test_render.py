"""Pure rendering: Discord's limits, word-boundary truncation, no pings, escaping, round trips."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord import render
from retrieval import Answer, Engine, Hit, OverviewItem

EXAMPLES = ("What does an ML engineer do?", "How do MLE and SWE differ?", "Do I need DevOps?")


def long_hit(n: int, words: int = 2000, title: str = "T" * 300, authors: str = "A " * 1200) -> Hit:
    return Hit(
        passage_id=f"d#{n}",
        doc_id="d",
        text=("word " * words).strip() + " @everyone",
        score=1.0,
        title=title,
        url="https://x.test",
        authors=(authors,),
        site="S",
    )


def check_limits(message: dict) -> None:
    assert len(message.get("content", "")) <= render.CONTENT_LIMIT
    embeds = message.get("embeds", [])
    assert len(embeds) <= render.EMBEDS_LIMIT
    for embed in embeds:
        assert len(embed.get("title", "")) <= render.TITLE_LIMIT
        assert len(embed.get("description", "")) <= render.DESCRIPTION_LIMIT
        assert len(embed.get("footer", {}).get("text", "")) <= render.FOOTER_LIMIT
        assert not embed.get("fields")
    assert sum(render.embed_size(e) for e in embeds) <= render.TOTAL_LIMIT
    rows = message.get("components", [])
    assert len(rows) <= 5
    for row in rows:
        assert len(row["components"]) <= render.BUTTONS_PER_ROW
        for button in row["components"]:
            assert 1 <= len(button["label"]) <= render.LABEL_LIMIT
            assert 1 <= len(button["custom_id"]) <= render.CUSTOM_ID_LIMIT
    assert message["allowed_mentions"] == {"parse": []}


def test_long_passages_are_cut_at_a_word_boundary_within_every_limit() -> None:
    hits = tuple(long_hit(n, title="Title", authors="Ann") for n in range(12))
    message = render.answer_message(Answer(question="q " * 1500, answered=True, hits=hits))
    check_limits(message)
    assert len(message["embeds"]) == 10
    for embed in message["embeds"]:
        assert embed["description"].endswith("…")
        assert embed["description"][:-1].split(" ")[-1] == "word"  # a whole word before the ellipsis
        assert "@everyone" not in embed["description"]
    assert message["content"].endswith("…")


def test_huge_titles_and_author_lists_stay_within_limits() -> None:
    message = render.answer_message(
        Answer(question="q", answered=True, hits=tuple(long_hit(n) for n in range(12)))
    )
    check_limits(message)
    assert len(message["embeds"]) >= 8  # the footers are shortened rather than the passages dropped
    for embed in message["embeds"]:
        assert embed["title"] == "T" * 255 + "…" and len(embed["footer"]["text"]) <= render.FOOTER_SHOWN


def test_one_long_passage_keeps_its_text_up_to_the_description_limit() -> None:
    [embed] = render.answer_message(Answer(question="q", answered=True, hits=(long_hit(0, 700),)))["embeds"]
    assert embed["description"].startswith("word word") and len(embed["description"]) > 3000
    budgeted = render.answer_message(Answer(question="q", answered=True, hits=(long_hit(0), long_hit(1))))
    first, second = budgeted["embeds"]
    assert len(first["description"]) == render.DESCRIPTION_LIMIT or first["description"].endswith("…")
    assert len(first["description"]) > len(second["description"])  # the best passage keeps the most


def test_every_kind_of_message_sets_no_mentions(engine: Engine) -> None:
    hit = engine.ask("What is a feature store?").hits[0]
    messages = [
        render.answer_message(Answer(question="@everyone hi", answered=True, hits=(hit,))),
        render.answer_message(Answer(question="@here", answered=False), examples=EXAMPLES),
        render.answer_message(
            Answer(question="x", answered=True, hits=(hit,)), ephemeral=False, asked_by="111"
        ),
        render.answer_message(Answer(question="x", answered=False), examples=EXAMPLES, buttons=False),
        render.overview_message(engine.overview()),
        render.notice("@everyone look"),
        render.vote_notice("up", True),
        render.vote_notice("down", False),
    ]
    for message in messages:
        check_limits(message)
        assert "@everyone" not in json.dumps(message) and "@here" not in json.dumps(message)


def test_answer_embed_shape(engine: Engine) -> None:
    answer = engine.ask("Will ML engineers need to learn DevOps?")
    message = render.answer_message(answer)
    embed = message["embeds"][0]
    hit = answer.hits[0]
    assert embed["url"] == hit.url and embed["footer"]["text"] == f"{', '.join(hit.authors)} · {hit.site}"
    assert embed["description"] == render.escape_markdown(hit.text)
    assert message["flags"] == 64 and message["content"] == "**Q:** Will ML engineers need to learn DevOps?"


def test_no_answer_lists_examples_as_buttons_or_text() -> None:
    unanswered = Answer(question="cafeteria hours?", answered=False)
    with_buttons = render.answer_message(unanswered, examples=EXAMPLES)
    assert [b["custom_id"] for b in with_buttons["components"][0]["components"]] == [
        f"ask:{q}" for q in EXAMPLES
    ]
    long_one = "Why " + "really " * 20 + "?"
    assert render.example_custom_id(4, long_one) == "ask:#4" and render.example_custom_id(0, "#1") == "ask:#0"
    assert render.example_question("ask:#1", EXAMPLES) == EXAMPLES[1]
    assert render.example_question(render.example_custom_id(0, EXAMPLES[0]), ()) == EXAMPLES[0]
    assert (
        render.example_question("ask:#7", EXAMPLES) is None
        and render.example_question("ask:", EXAMPLES) is None
    )
    plain = render.answer_message(unanswered, examples=EXAMPLES, ephemeral=False, buttons=False)
    assert "components" not in plain and "flags" not in plain
    assert plain["content"].endswith("\n• Do I need DevOps?")


def test_asked_by_accepts_only_a_user_id() -> None:
    answer = Answer(question="q", answered=False)
    assert "\nasked by <@111>\n" in render.answer_message(answer, asked_by="111")["content"]
    assert "asked by" not in render.answer_message(answer, asked_by="<@&1> @everyone")["content"]


def test_markdown_is_escaped_and_the_question_round_trips() -> None:
    question = "What do *ML* engineers do with `code`, __dunder__ | pipes, > quotes, <@123> and @everyone?"
    line = render.question_line(question)
    assert "@everyone" not in line and "\\*ML\\*" in line and "\\<@\u200b123\\>" in line
    assert render.unescape_question(line) == question
    assert render.escape_markdown("# heading\n- item\n1. first") == "\\# heading\n\\- item\n1\\. first"
    assert render.unescape_question("hello") == ""  # not one of our answers


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=1000))
def test_any_question_round_trips_within_limits(question: str) -> None:
    question = " ".join(question.split())
    if not question:
        return
    message = render.answer_message(Answer(question=question, answered=False), examples=EXAMPLES)
    check_limits(message)
    if len(render.question_line(question)) < render.QUESTION_LIMIT:
        assert render.unescape_question(message["content"]) == question


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=6000), st.text(min_size=1, max_size=400)),
        min_size=1,
        max_size=12,
    )
)
def test_any_passages_fit(passages: list[tuple[str, str]]) -> None:
    hits = tuple(
        Hit(passage_id=f"p{n}", doc_id="d", text=text, score=1.0, title=title, url="https://x.test", site="s")
        for n, (text, title) in enumerate(passages)
    )
    check_limits(render.answer_message(Answer(question="q", answered=True, hits=hits)))
    check_limits(render.overview_message([OverviewItem(aspect="Skills", hit=h) for h in hits]))


def test_recorded_vote_buttons() -> None:
    [row] = render.recorded_vote_components("up", saved=True)
    assert [(b["label"], b["custom_id"], b.get("disabled", False)) for b in row["components"]] == [
        ("Your vote: 👍", "vote:recorded", True),
        ("Change to 👎", "vote:down", False),
        ("✅ That answers it", "resolve:answered", False),
        ("🙋 Ask a person", "resolve:person", False),
    ]
    [row] = render.recorded_vote_components("down", saved=False, ask_id="01a2b3c4d5e6f7a8b9c0")
    assert [b["custom_id"] for b in row["components"]] == [
        "vote:recorded",
        "vote:down:01a2b3c4d5e6f7a8b9c0",  # try again, still for this ask
        "resolve:answered:01a2b3c4d5e6f7a8b9c0",
        "resolve:person:01a2b3c4d5e6f7a8b9c0",
    ]
