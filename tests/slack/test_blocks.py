"""Block Kit rendering: every shape validated by slack_sdk, limits and escaping on arbitrary text."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import blocks
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
    assert replaced[: len(rendered) - 1] == rendered[:-1]
    assert "your 👎 is recorded" in json.dumps(replaced, ensure_ascii=False)
    assert replaced[-1]["elements"][0]["action_id"] == blocks.VOTE_UP  # the way to change it


def test_escape_and_truncate() -> None:
    assert blocks.escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    cut = blocks.truncate("word " * 1000, 100)
    assert len(cut) <= 100 and cut.endswith("…") and not cut[:-1].endswith(" ")
