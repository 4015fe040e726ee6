"""Block Kit rendering: every shape validated by slack_sdk, limits and escaping on arbitrary text."""

from __future__ import annotations

import json
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.slack import blocks
from retrieval import Answer, Document, Hit, OverviewItem

TEXT = st.text(min_size=1, max_size=5000)
# A ping or a link Slack would act on: <!channel>, <!here>, <@U1>, <#C1>, <https://...>.
SLACK_MARKUP = re.compile(r"<[!@#][^>]*>|<https?:[^>]*>")


def hit(text: str, title: str = "T", url: str | None = "https://x.test/a?b=1&c=2") -> Hit:
    return Hit(
        passage_id="d#0",
        doc_id="d",
        text=text,
        score=1.5,
        title=title,
        url=url,
        authors=("A <!here>",),
        site="S & Co",
    )


def markup(rendered: object) -> list[str]:
    return SLACK_MARKUP.findall(json.dumps(rendered, ensure_ascii=False))


def section_texts(rendered: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in rendered if b["type"] == "section"]


@given(TEXT, TEXT, TEXT)
@settings(max_examples=150)
def test_answer_blocks_escape_and_respect_limits(passage: str, question: str, title: str) -> None:
    answer = Answer(question=question, answered=True, hits=(hit(passage, title),) * 3)
    for kwargs in ({}, {"restate": True, "share": True}, {"asked_by": "U123"}):
        rendered = blocks.answer_blocks(answer, **kwargs)
        assert len(rendered) <= blocks.MAX_BLOCKS
        assert all(len(t) <= blocks.SECTION_LIMIT for t in section_texts(rendered))
        allowed = {"<@U123>"} if "asked_by" in kwargs else set()
        links = [m for m in markup(rendered) if not m.startswith("<https://x.test/a?b=1&amp;c=2|")]
        assert set(links) <= allowed
    assert "<" not in blocks.answer_text(answer) and len(blocks.answer_text(answer)) <= blocks.FALLBACK_LIMIT


@given(TEXT)
def test_no_answer_and_overview_blocks(text: str) -> None:
    assert markup(blocks.no_answer_blocks(text)) == []
    items = [OverviewItem(aspect=text[:50], hit=hit(text, url=None))] * 5
    rendered = blocks.overview_blocks(items)
    assert markup(rendered) == [] and all(len(t) <= blocks.SECTION_LIMIT for t in section_texts(rendered))


def test_home_view_with_many_documents_stays_within_limits() -> None:
    docs = [
        Document(id=f"d{n}", title=f"<!channel> doc {n} " + "x" * 200, text="t", url=f"https://x.test/{n}")
        for n in range(60)
    ]
    view = blocks.home_view(docs)
    assert view["type"] == "home" and len(view["blocks"]) <= blocks.MAX_BLOCKS
    assert all(len(t) <= blocks.SECTION_LIMIT for t in section_texts(view["blocks"]))
    assert "<!channel>" not in json.dumps(view)


def test_vote_value_fits_a_button_and_replacing_keeps_the_answer() -> None:
    answer = Answer(question="q" * 5000, answered=True, hits=(hit("a passage"),))
    rendered = blocks.answer_blocks(answer)
    feedback = next(b for b in rendered if b.get("block_id") == blocks.FEEDBACK_BLOCK)
    value = feedback["elements"][0]["value"]
    assert len(value) <= blocks.BUTTON_VALUE_LIMIT and json.loads(value)["p"] == ["d#0"]
    replaced = blocks.replace_feedback(rendered, "down", value)
    votes = (blocks.FEEDBACK_BLOCK, f"{blocks.FEEDBACK_BLOCK}_note")
    assert [b for b in replaced if b.get("block_id") not in votes] == rendered[:2] + rendered[3:]
    assert "your 👎 is recorded" in json.dumps(replaced, ensure_ascii=False)
    [change] = [b for b in replaced if b.get("block_id") == blocks.FEEDBACK_BLOCK]
    assert change["elements"][0]["action_id"] == blocks.VOTE_UP  # the way to change it
    # In place: the answer, then the vote, then "That answers it" / "Ask a person".
    assert [b.get("block_id") for b in replaced][2:] == [*votes[::-1], blocks.RESOLUTION_BLOCK]


def test_escape_and_truncate() -> None:
    assert blocks.escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    cut = blocks.truncate("word " * 1000, 100)
    assert len(cut) <= 100 and cut.endswith("…") and not cut[:-1].endswith(" ")


# -- every shape re-parsed by slack_sdk.models (validation happens in to_dict) ---------------

LINK = re.compile(r"<https?://[^<>|]+\|[^<>]*>")
EXAMPLES = ("What does an MLE do?", "<!channel> ping & more?", "How do I move from SWE to MLE?")


def validated(rendered: list[dict]) -> list[dict]:
    """Parse the dicts back into slack_sdk models and render again: raises on any limit."""
    assert len(rendered) <= blocks.MAX_BLOCKS
    again = [b.to_dict() for b in Block.parse_all(rendered)]
    assert again == rendered
    return rendered


def every_shape(answer: Answer, documents: list[Document]) -> list[list[dict]]:
    items = [OverviewItem(aspect=a, hit=h) for a, h in zip("ABCDE", answer.hits * 5, strict=False)]
    shapes = [
        blocks.answer_blocks(answer),
        blocks.answer_blocks(answer, restate=True, share=True, examples=EXAMPLES),
        blocks.answer_blocks(answer, asked_by="U123"),
        blocks.answer_blocks(
            Answer(question=answer.question, answered=False), restate=True, examples=EXAMPLES
        ),
        blocks.no_answer_blocks(None, EXAMPLES),
        blocks.question_problem_blocks("The question is empty <!here>", EXAMPLES),
        blocks.help_blocks(EXAMPLES),
        blocks.home_view(documents, EXAMPLES)["blocks"],
        blocks.welcome_blocks(documents, EXAMPLES),
    ]
    if items:
        shapes.append(blocks.overview_blocks(items))
    rendered = shapes[0]
    value = next(b for b in rendered if b.get("block_id") == blocks.FEEDBACK_BLOCK)["elements"][0]["value"]
    for vote in ("up", "down"):
        for saved in (True, False):
            shapes.append(blocks.replace_feedback(rendered, vote, value, saved))
    return shapes


@given(TEXT, TEXT, TEXT, st.lists(TEXT, min_size=0, max_size=4))
@example(passage="0", question="0", title="\n", authors=[])  # a line break in a link label
@settings(max_examples=60, deadline=None)
def test_every_shape_validates_escapes_and_keeps_links_whole(
    passage: str, question: str, title: str, authors: list[str]
) -> None:
    h = Hit(
        passage_id="d#0",
        doc_id="d",
        text=passage,
        score=2.0,
        title=title,
        url="https://x.test/p?a=1&b=2",
        authors=tuple(authors),
        site=title,
    )
    docs = [Document(id=f"d{n}", title=title, text="t", url=f"https://x.test/{n}") for n in range(30)]
    for rendered in every_shape(Answer(question=question, answered=True, hits=(h, h, h)), docs):
        validated(rendered)
        for text in mrkdwn_texts(rendered):
            # every '<' Slack would read is one of our links, whole; the only mention is ours
            body = "\n".join(line[1:] if line.startswith(">") else line for line in text.split("\n"))
            remaining = LINK.sub("", body.replace("<@U123>", ""))
            assert "<" not in remaining and ">" not in remaining


def mrkdwn_texts(rendered: list[dict]) -> list[str]:
    """Every mrkdwn text Slack parses for links and mentions (plain_text is shown as typed)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(rendered)
    return found


def test_no_examples_means_no_buttons_and_custom_examples_are_used() -> None:
    empty = blocks.no_answer_blocks("q", examples=())
    assert [b["type"] for b in validated(empty)] == ["section", "section"]
    rendered = validated(blocks.help_blocks(EXAMPLES))
    buttons = next(b for b in rendered if b["type"] == "actions")["elements"]
    assert [e["value"] for e in buttons] == list(EXAMPLES)
    assert [e["action_id"] for e in buttons] == [f"{blocks.ASK_EXAMPLE}_{n}" for n in range(3)]
    too_many = validated(blocks.help_blocks([f"question {n}?" for n in range(40)]))
    assert len(next(b for b in too_many if b["type"] == "actions")["elements"]) == blocks.MAX_EXAMPLES


def test_source_line_links_title_and_names_authors_and_site() -> None:
    line = blocks.source_line(hit("x", title="MLE vs SWE | a <guide>"))
    assert (
        line == "*<https://x.test/a?b=1&amp;c=2|MLE vs SWE ¦ a &lt;guide&gt;>* · A &lt;!here&gt; · S &amp; Co"
    )
    not_a_link = blocks.source_line(hit("x", title="T", url="javascript:alert(1)"))
    assert "<" not in not_a_link and not_a_link.startswith("*T*")


def test_document_list_keeps_whole_lines_and_counts_the_rest() -> None:
    docs = [
        Document(id=f"d{n}", title=f"Title {n} " + "&" * 400, text="t", url=f"https://x.test/{n}")
        for n in range(40)
    ]
    text = blocks.document_list(docs)
    assert len(text) <= blocks.SECTION_LIMIT
    lines = text.split("\n")
    assert lines[0] == "*What I answer from*" and lines[-1].startswith("• …and ")
    shown = lines[1:-1]
    assert shown and all(LINK.search(line) for line in shown)
    assert int(lines[-1].split()[2]) == len(docs) - len(shown)


def test_clip_never_leaves_half_an_entity() -> None:
    escaped = blocks.escape("a " + "<" * 50)
    for limit in range(5, 40):
        cut = blocks.clip(escaped, limit)
        assert len(cut) <= limit and cut.endswith("…")
        assert re.search(r"&[a-z]{0,3}…$", cut) is None


def test_vote_notice_and_recorded_vote() -> None:
    assert "👍 is recorded" in blocks.vote_notice("up") and "👎" in blocks.vote_notice("up")
    assert "could not be saved" in blocks.vote_notice("down", saved=False)
    recorded = validated([b.to_dict() for b in blocks.recorded_vote_blocks("down", "v", saved=False)])
    assert (
        "could not be saved" in json.dumps(recorded) and recorded[-1]["elements"][0]["action_id"] == "vote_up"
    )
