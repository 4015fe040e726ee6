"""Split documents into chat-sized passages of whole sentences, and drop duplicates.

A passage never cuts a sentence. Paragraphs are the natural unit: a paragraph that fits
is one passage; a long one is split between sentences; a run of very short paragraphs
(list items, one-line answers) in the same section is joined so no passage is a stub.
"""

from __future__ import annotations

import heapq
import re
import zlib
from collections.abc import Iterable, Iterator

from retrieval.models import Document, Passage

MAX_WORDS = 110  # a chat passage a person reads at a glance
MIN_WORDS = 14  # shorter paragraphs are joined with their neighbours in the same section
NEAR_DUPLICATE_JACCARD = 0.8  # word-shingle overlap above which two passages say the same thing

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets, which stay with
# it: a passage quotes its document verbatim) before whitespace and an upper-case letter,
# digit, quote or bracket. Group 1 is the whitespace between the sentences. Common
# abbreviations are protected.
_CLOSERS = "\"')]’”»"
_SENTENCE_END = re.compile(r"[.!?][\"')\]’”»]*(\s+)(?=[\"'(\[“‘«A-Z0-9])")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|vs|etc|Mr|Mrs|Ms|Dr|Prof|Inc|Ltd|Jr|Sr|St|cf|approx)\.$", re.I)
# "No." abbreviates "number" only before one ("No. 5"); elsewhere it is the word no.
_NUMBER_ABBREVIATION = re.compile(r"\bNo\.$", re.I)
_WORD = re.compile(r"\S+")
_NORMALISE = re.compile(r"[^0-9a-z%+]+")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, whitespace folded; never splits after an abbreviation."""
    text = " ".join(text.split())
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start(1)]
        bare = candidate.rstrip(_CLOSERS)
        if _ABBREVIATIONS.search(bare) or (
            _NUMBER_ABBREVIATION.search(bare) and text[match.end() : match.end() + 1].isdigit()
        ):
            continue
        sentences.append(candidate.strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def _sections(text: str) -> Iterator[tuple[str | None, list[str]]]:
    """(heading, paragraphs) runs of a Markdown-ish text; list items are their own paragraphs."""
    heading: str | None = None
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in text.splitlines():
        stripped = line.strip()
        found = _HEADING.match(line)
        if found:
            flush()
            if paragraphs:
                yield heading, paragraphs
                paragraphs = []
            heading = found.group(2).strip() or None
        elif not stripped:
            flush()
        elif re.match(r"^([-*•]|\d+[.)])\s+", stripped):
            flush()  # a list item starts a paragraph of its own
            current.append(stripped)
        else:
            current.append(stripped)
    flush()
    if paragraphs:
        yield heading, paragraphs


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _chunks(paragraph: str) -> Iterator[str]:
    """A paragraph as one chunk, or split between sentences into chunks of <= MAX_WORDS."""
    if _word_count(paragraph) <= MAX_WORDS:
        yield " ".join(paragraph.split())
        return
    buffer: list[str] = []
    size = 0
    for sentence in split_sentences(paragraph):
        n = _word_count(sentence)
        if buffer and size + n > MAX_WORDS:
            yield " ".join(buffer)
            buffer, size = [], 0
        buffer.append(sentence)  # a single over-long sentence stays whole: never cut mid-sentence
        size += n
    if buffer:
        yield " ".join(buffer)


def split_document(doc: Document) -> list[Passage]:
    """The passages of one document, in reading order, with their section headings."""
    passages: list[Passage] = []
    # A tail only joins a passage of its own section (counted by position, not by heading:
    # two sections may share a heading, or have none).
    for heading, paragraphs in _sections(doc.text):
        first_passage = len(passages)
        pending: list[str] = []
        pending_words = 0
        for paragraph in paragraphs:
            for chunk in _chunks(paragraph):
                n = _word_count(chunk)
                if pending and pending_words + n > MAX_WORDS:
                    passages.append(_passage(doc, heading, pending, len(passages)))
                    pending, pending_words = [], 0
                pending.append(chunk)
                pending_words += n
                if pending_words >= MIN_WORDS:
                    passages.append(_passage(doc, heading, pending, len(passages)))
                    pending, pending_words = [], 0
        if pending:
            # A short tail joins the previous passage of the same section when it fits.
            last = passages[-1] if len(passages) > first_passage else None
            if last is not None and _word_count(last.text) + pending_words <= MAX_WORDS:
                passages[-1] = _passage(doc, heading, [last.text, *pending], len(passages) - 1)
            else:
                passages.append(_passage(doc, heading, pending, len(passages)))
    return passages


def _passage(doc: Document, heading: str | None, chunks: list[str], n: int) -> Passage:
    return Passage(id=f"{doc.id}#{n}", doc_id=doc.id, section=heading, text="\n".join(chunks))


# ASCII characters other than [0-9a-z%+] become spaces (str.translate is much faster than
# a regex on the common, all-ASCII text; other text takes the regex).
_ASCII_FOLD = {c: " " for c in range(128) if not (chr(c).isdigit() or "a" <= chr(c) <= "z" or chr(c) in "%+")}


def normalise(text: str) -> str:
    """Lowercase, letters/digits/%/+ only, single spaces: the form duplicates are compared in."""
    lowered = text.lower()
    if lowered.isascii():
        return " ".join(lowered.translate(_ASCII_FOLD).split())
    return " ".join(_NORMALISE.sub(" ", lowered).split())


_WORD_HASH: dict[str, int] = {}


def _shingles(normalised: str, size: int = 4) -> set[int]:
    """Hashes of the word 4-grams of a normalised text (deterministic across runs)."""
    hashes = [
        _WORD_HASH.get(w) or _WORD_HASH.setdefault(w, zlib.crc32(w.encode()) | 1) for w in normalised.split()
    ]
    if len(hashes) < size:
        return {hash(tuple(hashes)) & 0xFFFFFFFFFFFF}
    mask = (1 << 61) - 1
    return {
        (a * 0x9E3779B1 + b * 0x85EBCA77 + c * 0xC2B2AE3D + d) & mask
        for a, b, c, d in zip(hashes, hashes[1:], hashes[2:], hashes[3:], strict=False)
    }


ANCHORS = 4  # bottom-k sketch size
MIN_SHARED_ANCHORS = 2  # candidates must share this many anchors before the exact check


def deduplicate(passages: Iterable[Passage]) -> tuple[list[Passage], list[Passage]]:
    """(kept, removed): drops exact repeats and near-duplicates, keeping the first seen.

    Near-duplicates are found without comparing every pair: each passage is filed under
    the four smallest hashes of its word 4-shingles (a bottom-k sketch). Two passages
    whose shingles overlap by 80% share at least two of those with probability above 97%,
    while passages that merely quote the same sentence rarely do; only candidates sharing
    two anchors (or, for short passages, all of theirs) are compared on their full Jaccard
    overlap.
    """
    kept: list[Passage] = []
    removed: list[Passage] = []
    seen_exact: set[str] = set()
    by_anchor: dict[int, list[int]] = {}
    kept_shingles: list[set[int]] = []
    for passage in passages:
        norm = normalise(passage.text)
        if norm in seen_exact:
            removed.append(passage)
            continue
        shingles = _shingles(norm)
        anchors = heapq.nsmallest(ANCHORS, shingles)
        needed = min(MIN_SHARED_ANCHORS, len(anchors))
        shared: dict[int, int] = {}
        for anchor in anchors:
            for other in by_anchor.get(anchor, ()):
                shared[other] = shared.get(other, 0) + 1
        duplicate = False
        for other, count in shared.items():
            if count < needed:
                continue
            theirs = kept_shingles[other]
            overlap = len(shingles & theirs)
            if overlap / len(shingles | theirs) >= NEAR_DUPLICATE_JACCARD:
                duplicate = True
                break
        if duplicate:
            removed.append(passage)
            continue
        seen_exact.add(norm)
        index = len(kept)
        kept.append(passage)
        kept_shingles.append(shingles)
        for anchor in anchors:
            by_anchor.setdefault(anchor, []).append(index)
    return kept, removed
