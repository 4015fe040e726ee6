"""The batched build gives the same engine as the plain pipeline it replaced (issue 15).

tests/data/build_expected.json holds what the single-core pipeline built from
tests/data/build_corpus.jsonl before the batched build existed (written by
tests/retrieval/build_fixture.py): passage for passage, and each query's scores in both
indexes. The plain pipeline is also kept as the reference and compared live, and the
batched near-duplicate detection is compared with deduplicate() on generated text.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval import Engine
from retrieval import analyzer as analyzer_module
from retrieval import build as build_module
from retrieval import index as index_module
from retrieval import passages as passages_module
from retrieval.analyzer import TermTable, tokenize
from retrieval.documents import iter_corpus, load_corpus
from retrieval.models import Passage
from retrieval.passages import (
    Sketches,
    deduplicate,
    normalise,
    piece_words,
    removed_duplicates,
    sketch,
    split_document,
)
from tests.retrieval.build_fixture import CORPUS, EXPECTED, reference_output

EXPECTED_OUTPUT = json.loads(EXPECTED.read_text())


def batched_output(engine: Engine) -> dict:
    search = engine.search
    queries = []
    for query in EXPECTED_OUTPUT["queries"]:
        terms = tokenize(query["text"])
        passages, documents = search.passages.scores(terms), search.documents.scores(terms)
        pb, db = search.passages.baseline(terms), search.documents.baseline(terms)
        queries.append(
            {
                "text": query["text"],
                "passages": [[i, float(passages[i])] for i in np.flatnonzero(passages > pb + 1e-12).tolist()],
                "passage_baseline": pb,
                "documents": [
                    [i, float(documents[i])] for i in np.flatnonzero(documents > db + 1e-12).tolist()
                ],
                "document_baseline": db,
            }
        )
    return {
        "passages": [[p.id, p.doc_id, p.section, p.text] for p in engine.passages],
        "removed_duplicates": engine.removed_duplicates,
        "owner": search.owner.tolist(),
        "queries": queries,
    }


def assert_same_output(got: dict, expected: dict) -> None:
    assert got["passages"] == expected["passages"]
    assert got["removed_duplicates"] == expected["removed_duplicates"]
    assert got["owner"] == expected["owner"]
    for mine, theirs in zip(got["queries"], expected["queries"], strict=True):
        assert mine["text"] == theirs["text"]
        for part in ("passages", "documents"):
            assert [i for i, _ in mine[part]] == [i for i, _ in theirs[part]], (mine["text"], part)
            # The same float64 operations in the same order: equal, not merely close.
            assert [s for _, s in mine[part]] == [s for _, s in theirs[part]], (mine["text"], part)
        assert mine["passage_baseline"] == theirs["passage_baseline"]
        assert mine["document_baseline"] == theirs["document_baseline"]


def test_batched_build_equals_the_pre_change_output() -> None:
    assert_same_output(batched_output(Engine.from_corpus(CORPUS)), EXPECTED_OUTPUT)


def test_batched_build_equals_the_plain_pipeline_in_small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny batches and index chunks: every batch boundary and chunk merge is exercised.
    monkeypatch.setattr(build_module, "BATCH_PASSAGES", 7)
    monkeypatch.setattr(index_module, "BUILD_CHUNK", 5)
    assert_same_output(batched_output(Engine.from_corpus(CORPUS)), reference_output(CORPUS))


def test_the_sparse_code_table_gives_the_same_index(monkeypatch: pytest.MonkeyPatch) -> None:
    # (tf, length) pairs looked up by search rather than in a dense table.
    monkeypatch.setattr(index_module, "DENSE_CODE_TABLE", 0)
    monkeypatch.setattr(index_module, "BUILD_CHUNK", 9)
    assert_same_output(batched_output(Engine.from_corpus(CORPUS)), EXPECTED_OUTPUT)


def test_bundled_corpus_builds_as_the_plain_pipeline() -> None:
    from retrieval.engine import DEFAULT_CORPUS

    engine = Engine.from_corpus(DEFAULT_CORPUS)
    documents = load_corpus(DEFAULT_CORPUS)
    plain = [p for d in documents for p in split_document(d)]
    kept, removed = deduplicate(plain)
    assert [(p.id, p.section, p.text) for p in engine.passages] == [(p.id, p.section, p.text) for p in kept]
    assert engine.removed_duplicates == len(removed)


def test_iter_corpus_reads_a_jsonl_file_as_load_corpus_does() -> None:
    assert list(iter_corpus(CORPUS)) == load_corpus(CORPUS)


def test_term_table_gives_tokenize_terms() -> None:
    texts = [
        "The engineers' models!",
        "Ｆｕｌｌwidth café C++ and C# F# CD4+ top-10+",
        "",
        "the a an of",
        "SWEs MLEs GPUs don't o'reilly’s",
        "specialise behaviour colour",
    ]
    table = TermTable()
    for _ in range(2):  # the second time from the memo
        ids, counts = table.analyze(texts)
        offsets = np.concatenate(([0], np.cumsum(counts)))
        got = [[table.terms[t] for t in ids[offsets[i] : offsets[i + 1]]] for i in range(len(texts))]
        assert got == [tokenize(t) for t in texts]


@given(st.lists(st.text(max_size=80), max_size=20))
@settings(max_examples=100, deadline=None)
def test_term_table_equals_tokenize_on_any_text(texts: list[str]) -> None:
    table = TermTable()
    ids, counts = table.analyze(texts)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    got = [[table.terms[t] for t in ids[offsets[i] : offsets[i + 1]]] for i in range(len(texts))]
    assert got == [tokenize(t) for t in texts]


TRICKY_TEXTS = [
    "CD4+CD8+ a+b x+y+z c++x 'quoted' don't o'reilly's '' #tag 50%+ 100% C#-x",
    "immunohistochemically pneumonoultramicroscopicsilicovolcanoconiosis abcdefghABCDEFGH",
    "abcdefghABCDEFGHx exactly16bytesXX exactly8 seven77 \x00nul\x01 under_score",
    "Ｆｕｌｌwidth café naïve İstanbul \u212a ﬁne ß x\u2028y\x1cz a\xa0b “quoted” it’s",
    "",
    "a\nb\n\nc",
    "the of and",
]


def test_term_table_words_are_the_normalised_words_and_keys_may_collide(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = TRICKY_TEXTS + _variants(3, 300)
    for collide in (False, True):
        if collide:  # every short piece's sort key equal: the exact (lexsort) path decides
            monkeypatch.setattr(analyzer_module, "_MIX_A", np.uint64(0))
            monkeypatch.setattr(analyzer_module, "_MIX_B", np.uint64(0))
            monkeypatch.setattr(analyzer_module, "PIECE_STEP_BYTES", 50)  # and many small steps
        table = TermTable(piece_words)
        for _ in range(2):  # the second time from the memo
            ids, counts, words = table.analyze(texts, words=True)
            offsets = np.concatenate(([0], np.cumsum(counts)))
            got = [[table.terms[t] for t in ids[offsets[i] : offsets[i + 1]]] for i in range(len(texts))]
            assert got == [tokenize(t) for t in texts]
            assert words.plain.tolist() == [t.isascii() for t in texts]
            batched = passages_module.sketch_pieces(texts, words.values, words.counts, words.plain)
            plain = sketch(texts)
            for name in Sketches.__dataclass_fields__:
                assert np.array_equal(getattr(batched, name), getattr(plain, name)), name


@given(st.lists(st.text(max_size=60), max_size=10))
@settings(max_examples=200, deadline=None)
def test_normalised_words_are_normalise_split(texts: list[str]) -> None:
    words, counts = passages_module.normalised_words(texts)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    assert [words[offsets[i] : offsets[i + 1]] for i in range(len(texts))] == [
        normalise(t).encode().split() for t in texts
    ]


def test_near_duplicates_do_not_trust_the_text_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # Equal keys for every text: the exact comparison of the texts decides alone.
    texts = _variants(4, 600)
    expected = removed_duplicates(sketch(texts), texts.__getitem__)

    def one_key(h: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.zeros((counts.shape[0], 2), dtype=np.uint64)

    monkeypatch.setattr(passages_module, "_text_keys", one_key)
    assert np.array_equal(removed_duplicates(sketch(texts), texts.__getitem__), expected)
    assert expected.any()


def _variants(seed: int, n: int) -> list[str]:
    """Texts with exact repeats, one-word edits (near-duplicates), shared sentences
    (not duplicates) and very short texts."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(60)]
    sentences = [" ".join(rng.choices(words, k=rng.randint(3, 14))) + "." for _ in range(40)]
    texts: list[str] = []
    for _ in range(n):
        roll = rng.random()
        if texts and roll < 0.15:
            texts.append(rng.choice(texts))
        elif texts and roll < 0.35 and (w := rng.choice(texts).split()):
            w[rng.randrange(len(w))] = rng.choice(words)
            texts.append(" ".join(w))
        elif roll < 0.45:
            texts.append(" ".join(rng.choices(words, k=rng.randint(0, 4))))
        else:
            texts.append(" ".join(rng.choices(sentences, k=rng.randint(1, 4))))
    return texts


@pytest.mark.parametrize("seed", range(6))
def test_batched_near_duplicates_equal_deduplicate(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    if seed % 2:  # candidate pairs a few at a time: every step boundary
        monkeypatch.setattr(passages_module, "PAIRS_PER_STEP", 37)
    texts = _variants(seed, 1_500)
    passages = [Passage(id=f"d#{i}", doc_id="d", text=t) for i, t in enumerate(texts)]
    _, removed = deduplicate(passages)
    sketches = Sketches.concatenate([sketch(texts[i : i + 400]) for i in range(0, len(texts), 400)])
    got = removed_duplicates(sketches, texts.__getitem__)
    assert set(np.flatnonzero(got).tolist()) == {int(p.id.split("#")[1]) for p in removed}
    assert 0 < got.sum() < len(texts)


def test_several_workers_build_the_same_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_module, "BATCH_PASSAGES", 40)  # many batches for two workers
    monkeypatch.setattr(build_module, "PARALLEL_BYTES", 0)
    one = batched_output(Engine.from_corpus(CORPUS, jobs=1))
    two = batched_output(Engine.from_corpus(CORPUS, jobs=2))
    assert_same_output(two, one)
    assert_same_output(two, EXPECTED_OUTPUT)


def test_workers_report_corpus_errors_as_one_process_does(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_module, "PARALLEL_BYTES", 0)
    from retrieval.errors import CorpusError

    lines = CORPUS.read_text().splitlines()
    bad = tmp_path / "dup.jsonl"
    bad.write_text("\n".join([*lines, lines[0]]) + "\n")
    with pytest.raises(CorpusError) as one:
        Engine.from_corpus(bad, jobs=1)
    with pytest.raises(CorpusError) as two:
        Engine.from_corpus(bad, jobs=2)
    assert str(one.value) == str(two.value)
    assert "duplicate document id" in str(two.value)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([*lines[:50], "{not json", *lines[50:]]) + "\n")
    with pytest.raises(CorpusError) as one:
        Engine.from_corpus(broken, jobs=1)
    with pytest.raises(CorpusError) as two:
        Engine.from_corpus(broken, jobs=2)
    assert (
        str(one.value)
        == str(two.value)
        == f"{broken}:51: not valid JSON (Expecting property name enclosed in double quotes, column 2)"
    )


def test_text_blob_holds_what_was_appended_past_its_capacity() -> None:
    blob = build_module.TextBlob(10)
    pieces = [b"x" * 5000, "café ☕".encode(), b"", b"y" * 9000]
    for piece in pieces:
        blob.extend(piece)
    assert bytes(blob.view()) == b"".join(pieces)
    assert blob.size == sum(map(len, pieces))


@given(st.text(alphabet=st.sampled_from(list("ab #.A1\t\x1f\xa0é   ")), max_size=300))
@settings(max_examples=300, deadline=None)
def test_an_already_folded_line_splits_as_its_words_do(text: str) -> None:
    # The one-line path before the shortcut for text that is already single-spaced.
    words = text.split()
    heading = "#" in text and passages_module._HEADING.match(text)
    if len(words) <= passages_module.MAX_WORDS:
        assert passages_module.split_text(text) == ([] if not words or heading else [(None, " ".join(words))])
