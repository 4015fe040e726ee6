"""Split documents into chat-sized passages of whole sentences, and drop duplicates.

A passage never cuts a sentence. Paragraphs are the natural unit: a paragraph that fits
is one passage; a long one is split between sentences; a run of very short paragraphs
(list items, one-line answers) in the same section is joined so no passage is a stub.
"""

from __future__ import annotations

import heapq
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

import numpy as np

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


def _sections(lines: list[str]) -> Iterator[tuple[str | None, list[str]]]:
    """(heading, paragraphs) runs of a Markdown-ish text's lines; list items are their own paragraphs."""
    heading: str | None = None
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in lines:
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
    return [
        Passage(id=f"{doc.id}#{n}", doc_id=doc.id, section=heading, text=text)
        for n, (heading, text) in enumerate(split_text(doc.text))
    ]


def _folded(line: str) -> bool:
    """Whether a one-line text holds single spaces only, between words: ASCII, no space
    at either end, no double space, tab or unit separator (the other ASCII whitespace
    separates lines), so that it equals " ".join(line.split())."""
    return (
        line.isascii()
        and line[:1] > " "
        and line[-1:] > " "
        and "  " not in line
        and "\t" not in line
        and "\x1f" not in line
    )


def split_text(text: str) -> list[tuple[str | None, str]]:
    """(section heading, passage text) of each passage of a document's text, in order."""
    lines = text.splitlines()
    if len(lines) <= 1:
        # One line (most of a wiki export or a benchmark corpus): one paragraph, unless the
        # line is a heading; what the general path below gives, without its bookkeeping.
        if _folded(text) and text.count(" ") < MAX_WORDS and not ("#" in text and _HEADING.match(text)):
            return [(None, text)]  # already " ".join(text.split()); its spaces count its words
        words = text.split()
        if not words or ("#" in text and _HEADING.match(text)):
            return []
        if len(words) <= MAX_WORDS:
            return [(None, " ".join(words))]
    passages: list[tuple[str | None, str]] = []
    for heading, paragraphs in _sections(lines):
        # A tail only joins a passage of its own section (counted by position, not by
        # heading: two sections may share a heading, or have none).
        first_passage = len(passages)
        pending: list[str] = []
        pending_words = 0
        for paragraph in paragraphs:
            for chunk in _chunks(paragraph):
                n = _word_count(chunk)
                if pending and pending_words + n > MAX_WORDS:
                    passages.append((heading, "\n".join(pending)))
                    pending, pending_words = [], 0
                pending.append(chunk)
                pending_words += n
                if pending_words >= MIN_WORDS:
                    passages.append((heading, "\n".join(pending)))
                    pending, pending_words = [], 0
        if pending:
            # A short tail joins the previous passage of the same section when it fits.
            last = passages[-1][1] if len(passages) > first_passage else None
            if last is not None and _word_count(last) + pending_words <= MAX_WORDS:
                passages[-1] = (heading, "\n".join([last, *pending]))
            else:
                passages.append((heading, "\n".join(pending)))
    return passages


# ASCII characters other than [0-9a-z%+] become spaces (str.translate is much faster than
# a regex on the common, all-ASCII text; other text takes the regex).
_ASCII_FOLD = {c: " " for c in range(128) if not (chr(c).isdigit() or "a" <= chr(c) <= "z" or chr(c) in "%+")}


def normalise(text: str) -> str:
    """Lowercase, letters/digits/%/+ only, single spaces: the form duplicates are compared in."""
    lowered = text.lower()
    if lowered.isascii():
        return " ".join(lowered.translate(_ASCII_FOLD).split())
    return " ".join(_NORMALISE.sub(" ", lowered).split())


_WORD_HASH: dict[bytes, int] = {}  # a normalised word (ASCII bytes) -> its hash


def _word_hash(word: bytes) -> int:
    return _WORD_HASH.get(word) or _WORD_HASH.setdefault(word, zlib.crc32(word) | 1)


def _shingles(normalised: str, size: int = 4) -> set[int]:
    """Hashes of the word 4-grams of a normalised text (deterministic across runs)."""
    hashes = [_word_hash(w) for w in normalised.encode().split()]
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


# -- the same de-duplication, in batches (index builds) ------------------------------------
#
# deduplicate() above is the definition; the functions below give the same answer for a
# whole corpus without a Python set per passage. A passage is removed exactly when an
# earlier kept passage shares `needed` of its anchors and overlaps it by >= 80%. So:
# 1. later exact copies of a passage's normalised text are always removed (they share
#    everything with the first copy, or with whatever removed it);
# 2. pairs sharing two anchors share one of the six anchor pairs: grouping passages by
#    anchor pair finds them all without comparing every pair;
# 3. most such pairs (two passages quoting the same sentence) are far below 80%: a cheap
#    bound rules them out exactly. Each passage has a 256-bit signature, bit f(s) set for
#    each of its shingles s; a bit set in one signature and not in the other is set by a
#    shingle only that passage has, so the signatures' differing bits are a lower bound of
#    |A ^ B|, which must be <= (|A| + |B|) / 9 for a Jaccard overlap of 0.8;
# 4. the few pairs left are checked exactly, as deduplicate() does, and resolved in order.
#
# The sketches are computed without a Python object per word beyond the words themselves:
# a batch's texts are normalised as one ASCII byte string (bytes.lower and translate do
# normalise()'s work), split once, and hashed through the memo of word hashes.

_SENTINEL64 = np.uint64(0xFFFFFFFFFFFFFFFF)
SIGNATURE_BITS = 256
_SIGNATURE_SHIFT = np.uint64(64 - 8)  # the top 8 bits of a mixed shingle hash: 0..255
_MASK61 = np.uint64((1 << 61) - 1)
_SHINGLE_FACTORS = (np.uint64(0x9E3779B1), np.uint64(0x85EBCA77), np.uint64(0xC2B2AE3D))
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)
PAIRS_PER_STEP = 1 << 18  # candidate pairs bounded at a time (~50 MB of temporaries)
CANDIDATE_PART_BITS = 2  # anchor-pair keys grouped in 4 parts of the key space, one at a time
# bytes.translate table: after bytes.lower(), what normalise() keeps ([0-9a-z%+]) stays and
# everything else becomes a space.
_NORMALISED_BYTES = bytes(c if (48 <= c <= 57 or 97 <= c <= 122 or c in b"%+") else 32 for c in range(256))


@dataclass
class Sketches:
    """Per-passage near-duplicate sketches, as arrays (see deduplicate())."""

    anchors: np.ndarray  # (n, ANCHORS) uint64, the smallest shingle hashes; _SENTINEL64 pads
    n_anchors: np.ndarray  # (n,) how many anchors
    sizes: np.ndarray  # (n,) distinct shingles
    signatures: np.ndarray  # (n, SIGNATURE_BITS // 64) uint64, a bit per shingle (see above)
    norm_keys: np.ndarray  # (n, 2) uint64, a digest of the normalised text (equal texts, equal keys)

    @classmethod
    def concatenate(cls, parts: list[Sketches], consume: bool = False) -> Sketches:
        """All parts in one; with `consume`, each part's array is dropped once copied (and
        the list emptied), so the copy never doubles the sketches' memory."""
        fields = {}
        for name in cls.__dataclass_fields__:
            fields[name] = np.concatenate([getattr(p, name) for p in parts])
            if consume:
                for part in parts:
                    setattr(part, name, fields[name][:0])
        if consume:
            parts.clear()
        return cls(**fields)


def normalised_words(texts: Sequence[str]) -> tuple[list[bytes], np.ndarray]:
    """(the words of every text's normalise() form as ASCII bytes, one text after another;
    words per text): `normalise(t).encode().split()` for each text, in one pass.

    normalise() lower-cases, then folds everything but [0-9a-z%+] into spaces: on the
    UTF-8 form of the lower-cased text, that is bytes.lower() and one translate (every
    byte of a non-ASCII character becomes a space)."""
    joined = "\n".join(texts)
    if joined.isascii():
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    else:
        forms = [t if t.isascii() else t.lower() for t in texts]
        joined = "\n".join(forms)
        lengths = np.fromiter(  # in bytes
            (len(f) if f.isascii() else len(f.encode()) for f in forms), dtype=np.int64, count=len(forms)
        )
    blob = joined.encode().lower().translate(_NORMALISED_BYTES)
    words = blob.split()
    # Which text each word is in: its first byte's position among the texts' starts.
    chars = np.frombuffer(blob, dtype=np.uint8) != 32
    starts = np.flatnonzero(chars & np.concatenate(([True], ~chars[:-1])))
    bounds = np.concatenate(([0], np.cumsum(lengths + 1)))
    counts = np.diff(np.searchsorted(starts, bounds)).astype(np.int64)
    if len(words) != starts.shape[0]:  # pragma: no cover - split() and the scan agree by construction
        raise AssertionError("word boundaries disagree")
    return words, counts


def _word_hashes(words: list[bytes]) -> np.ndarray:
    """crc32(word) | 1 of each word, through the memo (only new words are hashed in Python)."""
    hashes = np.fromiter(map(_WORD_HASH.get, words, repeat(0)), dtype=np.uint64, count=len(words))
    missing = np.flatnonzero(hashes == 0).tolist()
    if missing:
        new = [words[i] for i in missing]
        for word in dict.fromkeys(new):  # each new word hashed once
            _WORD_HASH[word] = zlib.crc32(word) | 1
        hashes[missing] = np.fromiter(map(_WORD_HASH.__getitem__, new), dtype=np.uint64, count=len(new))
    return hashes


def piece_words(pieces: list[bytes]) -> list[list[int]]:
    """The word hashes of each ASCII piece's normalise() form (analyzer.TermTable's `words`:
    a piece holds no space or other character normalise() folds into one, so a text's
    words are its pieces' words, one piece after another)."""
    # No memo here: the table remembers each piece's values, and a word memo of a large
    # corpus's whole vocabulary would outlive the build.
    crc32 = zlib.crc32
    return [
        # Letters and digits only (most pieces): the piece, lower-cased, is its one word.
        [crc32(p.lower()) | 1]
        if p.isalnum()
        else [crc32(w) | 1 for w in p.lower().translate(_NORMALISED_BYTES).split()]
        for p in pieces
    ]


def sketch(texts: Sequence[str]) -> Sketches:
    """Sketches of passage texts: the anchors and sizes deduplicate() uses, and more."""
    words, counts = normalised_words(texts)
    return sketch_words(_word_hashes(words), counts)


def sketch_pieces(
    texts: Sequence[str], values: np.ndarray, counts: np.ndarray, plain: np.ndarray
) -> Sketches:
    """sketch(texts), given the word hashes of the ASCII texts (`plain`) from piece_words():
    the others' are found here."""
    other = np.flatnonzero(~plain)
    if other.size:
        words, other_counts = normalised_words([texts[i] for i in other.tolist()])
        merged_counts = counts.copy()
        merged_counts[other] = other_counts
        merged = np.empty(int(merged_counts.sum()), dtype=np.uint64)
        starts = np.cumsum(merged_counts) - merged_counts
        inside = np.flatnonzero(plain)
        merged[_ragged(starts[inside], merged_counts[inside])] = values
        merged[_ragged(starts[other], other_counts)] = _word_hashes(words)
        return sketch_words(merged, merged_counts)
    return sketch_words(values.astype(np.uint64), counts)


def _ragged(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Positions start, start + 1, ..., start + length - 1 of each (start, length), in order."""
    return np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))


def sketch_words(h: np.ndarray, counts: np.ndarray) -> Sketches:
    """Sketches from the word hashes (uint64) of texts' normalised words, text after text."""
    n = counts.shape[0]
    owner = np.repeat(np.arange(n, dtype=np.int64), counts)
    ends = np.cumsum(counts)
    values: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    if h.shape[0] >= 4:
        a, b, c = _SHINGLE_FACTORS
        # The same 4-gram hash as _shingles(): uint64 arithmetic wraps mod 2**64, and
        # 2**61 divides 2**64, so masking to 61 bits gives Python's exact result.
        window = (h[:-3] * a + h[1:-2] * b + h[2:-1] * c + h[3:]) & _MASK61
        window_owner = owner[: h.shape[0] - 3]
        valid = np.arange(h.shape[0] - 3) + 3 < ends[window_owner]
        values.append(window[valid])
        owners.append(window_owner[valid])
    short = np.flatnonzero(counts < 4)
    if short.size:
        firsts = (ends - counts).tolist()
        sizes = counts.tolist()
        values.append(
            np.array(
                [
                    hash(tuple(h[firsts[i] : firsts[i] + sizes[i]].tolist())) & 0xFFFFFFFFFFFF
                    for i in short.tolist()
                ],
                dtype=np.uint64,
            )
        )
        owners.append(short)
    vals = np.concatenate(values) if values else np.empty(0, dtype=np.uint64)
    own = np.concatenate(owners) if owners else np.empty(0, dtype=np.int64)
    del values, owners
    anchors, sizes = _smallest_distinct(vals, own, n, ANCHORS, _SENTINEL64)
    bits = np.zeros((n, SIGNATURE_BITS), dtype=bool)
    bits[own, ((vals * _MIX) >> _SIGNATURE_SHIFT).astype(np.intp)] = True
    signatures = np.packbits(bits, axis=1).view(np.uint64)
    del bits, vals, own
    return Sketches(
        anchors=anchors,
        n_anchors=np.minimum(sizes, ANCHORS).astype(np.int8),
        sizes=sizes.astype(np.int32),
        signatures=signatures,
        norm_keys=_text_keys(h, counts),
    )


def _text_keys(h: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(n, 2) keys of each text's word sequence (two polynomial hashes of its word hashes,
    and its length): equal normalised texts get equal keys; removed_duplicates compares
    the texts themselves before it calls two passages copies."""
    n = counts.shape[0]
    keys = np.zeros((n, 2), dtype=np.uint64)
    keys[:, 1] = counts.astype(np.uint64)
    if h.shape[0] == 0:
        return keys
    longest = int(counts.max())
    firsts = np.cumsum(counts) - counts
    position = np.arange(h.shape[0]) - np.repeat(firsts, counts)
    nonempty = counts > 0
    ends = (firsts + counts - 1)[nonempty]
    for column, base in ((0, _MIX), (1, _MIX2)):
        powers = np.full(longest, base, dtype=np.uint64)
        powers[0] = 1
        powers = np.cumprod(powers)  # base**i mod 2**64 (uint64 wraps)
        running = np.cumsum(h * powers[position])
        before = np.concatenate(([np.uint64(0)], running))[firsts[nonempty]]
        keys[nonempty, column] ^= running[ends] - before
    return keys


def _smallest_distinct(
    values: np.ndarray, owner: np.ndarray, n: int, k: int, sentinel: np.generic
) -> tuple[np.ndarray, np.ndarray]:
    """((n, k) the k smallest distinct values of each owner, ascending; (n,) distinct counts)."""
    # One sort of a packed key (owner in the high bits, the value's high bits below) is
    # several times faster than a lexsort; where two different values share a packed key
    # (a one-in-a-billion truncation tie) their order may be wrong, so lexsort then.
    shift = 64 - max(int(n).bit_length(), 1)
    drop = max(values.dtype.itemsize * 8 - shift, 0)
    packed = (owner.astype(np.uint64) << np.uint64(shift)) | (values.astype(np.uint64) >> np.uint64(drop))
    order = np.argsort(packed)
    values, owner, packed = values[order], owner[order], packed[order]
    tie = packed[1:] == packed[:-1]
    if drop and (values[1:][tie] != values[:-1][tie]).any():
        order = np.lexsort((values, owner))
        values, owner = values[order], owner[order]
    distinct = np.ones(values.shape[0], dtype=bool)
    distinct[1:] = (owner[1:] != owner[:-1]) | (values[1:] != values[:-1])
    values, owner = values[distinct], owner[distinct]
    sizes = np.bincount(owner, minlength=n)
    starts = np.cumsum(sizes) - sizes
    rank = np.arange(values.shape[0]) - starts[owner]
    smallest = np.full((n, k), sentinel, dtype=values.dtype)
    keep = rank < k
    smallest[owner[keep], rank[keep]] = values[keep]
    return smallest, sizes


def removed_duplicates(sk: Sketches, text_of: Callable[[int], str]) -> np.ndarray:
    """Which passages deduplicate() removes (a bool array), from their sketches;
    `text_of(i)` gives passage i's text, needed only for the few exact checks."""
    n = sk.sizes.shape[0]
    removed = np.zeros(n, dtype=bool)
    if n == 0:
        return removed
    # 1. Later copies of the same normalised text.
    keys = np.ascontiguousarray(sk.norm_keys).view(np.dtype((np.void, 16))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    first_of = first[inverse]
    mismatched = []
    for i in np.flatnonzero(first_of != np.arange(n)).tolist():
        if normalise(text_of(i)) == normalise(text_of(int(first_of[i]))):
            removed[i] = True
        else:
            mismatched.append(i)
    if mismatched:  # two different texts with one key (never seen): compare within the key
        for i in mismatched:
            text = normalise(text_of(i))
            earlier = np.flatnonzero(inverse[:i] == inverse[i]).tolist()
            removed[i] = any(normalise(text_of(j)) == text for j in earlier)
    # 2. Candidate pairs (earlier, later) among the first copies.
    # Kept as packed int64 (earlier * n + later), not Python tuples: at a million passages
    # the pairs the bound lets through number in the millions.
    edges: list[np.ndarray] = []
    for firsts, seconds in _candidate_pairs(sk, ~removed):
        ok = _bound_allows(sk, firsts, seconds)
        edges.append(firsts[ok].astype(np.int64) * n + seconds[ok])
    singles = _single_anchor_pairs(sk, ~removed)
    if singles:
        edges.append(np.array([e * n + later for e, later in singles], dtype=np.int64))
    pairs = np.unique(np.concatenate(edges)) if edges else np.empty(0, dtype=np.int64)
    del edges
    # 3. Exact checks, as deduplicate() does them, then resolution in passage order. Pairs
    # come sorted by their earlier passage, so a small cache of shingle sets serves them.

    @lru_cache(maxsize=1 << 15)
    def shingles_of(i: int) -> set[int]:
        return _shingles(normalise(text_of(i)))

    duplicate_of: dict[int, list[int]] = {}
    for start in range(0, pairs.shape[0], 1 << 20):  # a bounded list of Python ints at a time
        for pair in pairs[start : start + (1 << 20)].tolist():
            earlier, later = divmod(pair, n)
            needed = min(MIN_SHARED_ANCHORS, int(sk.n_anchors[later]))
            shared = len(
                set(sk.anchors[earlier, : sk.n_anchors[earlier]].tolist())
                & set(sk.anchors[later, : sk.n_anchors[later]].tolist())
            )
            if shared < needed:
                continue
            a, b = shingles_of(earlier), shingles_of(later)
            if len(a & b) / len(a | b) >= NEAR_DUPLICATE_JACCARD:
                duplicate_of.setdefault(later, []).append(earlier)
    for later in sorted(duplicate_of):
        if any(not removed[e] for e in duplicate_of[later]):
            removed[later] = True
    return removed


def _candidate_pairs(sk: Sketches, participants: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(earlier, later) arrays of passages sharing two anchors, a bounded batch at a time."""
    n = sk.sizes.shape[0]
    bits = max(int(n).bit_length(), 1)
    # Each anchor pair's key, its low bits replaced by the passage's number: one in-place
    # sort groups equal keys (a truncated key can only put more passages in a group, and
    # every candidate is checked exactly later), in two arrays of memory, not six.
    parts: list[np.ndarray] = []
    for p in range(ANCHORS):
        for q in range(p + 1, ANCHORS):
            rows = np.flatnonzero(participants & (sk.n_anchors > q))
            key = sk.anchors[rows, p] * _MIX + sk.anchors[rows, q] * _MIX2
            parts.append(((key >> np.uint64(bits)) << np.uint64(bits)) | rows.astype(np.uint64))
    # A part of the key space at a time (its top bits): equal keys are in one part, and
    # the sort and run arrays of a million passages stay a quarter of their size.
    top = np.uint64(64 - CANDIDATE_PART_BITS)
    for part_number in range(1 << CANDIDATE_PART_BITS):
        packed = np.concatenate([p[(p >> top) == np.uint64(part_number)] for p in parts])
        if part_number == (1 << CANDIDATE_PART_BITS) - 1:
            del parts
        yield from _runs_pairs(packed, bits)


def _runs_pairs(packed: np.ndarray, bits: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The (earlier, later) pairs within runs of equal keys of packed (key | passage)."""
    packed.sort()
    keys = packed >> np.uint64(bits)
    repeated = np.flatnonzero(keys[1:] == keys[:-1])
    if repeated.size == 0:
        return
    in_run = np.zeros(keys.shape[0], dtype=bool)
    in_run[repeated] = True
    in_run[repeated + 1] = True
    where = np.flatnonzero(in_run)
    del in_run, repeated
    keys = keys[where]
    owner = (packed[where] & np.uint64((1 << bits) - 1)).astype(np.int64)
    del packed, where
    # Runs of equal keys (two or more): each element pairs with the later ones of its run.
    start_flag = np.concatenate(([True], keys[1:] != keys[:-1]))
    run_start = np.flatnonzero(start_flag)
    run_size = np.diff(np.append(run_start, keys.shape[0]))
    run_of = np.repeat(np.arange(run_start.shape[0]), run_size)
    position = np.arange(keys.shape[0])
    later_count = run_start[run_of] + run_size[run_of] - position - 1
    del keys, start_flag, run_of, position
    members = np.flatnonzero(later_count > 0)
    counts = later_count[members]
    del later_count
    total = np.cumsum(counts)
    done = 0
    while done < members.shape[0]:
        before = int(total[done - 1]) if done else 0
        stop = done + 1 + int(np.searchsorted(total[done:], before + PAIRS_PER_STEP))
        part, c = members[done:stop], counts[done:stop]
        first = np.repeat(part, c)
        step = np.arange(first.shape[0]) - np.repeat(np.cumsum(c) - c, c) + 1
        x, y = owner[first], owner[first + step]
        yield np.minimum(x, y), np.maximum(x, y)
        done = stop


def _single_anchor_pairs(sk: Sketches, participants: np.ndarray) -> list[tuple[int, int]]:
    """(earlier, later) where the later passage has one anchor and the earlier holds it."""
    singles = np.flatnonzero(participants & (sk.n_anchors == 1))
    if singles.size == 0:
        return []
    wanted = sk.anchors[singles, 0]
    rows, cols = np.nonzero(np.isin(sk.anchors, wanted) & participants[:, None])
    holders: dict[int, list[int]] = {}
    for row, value in zip(rows.tolist(), sk.anchors[rows, cols].tolist(), strict=True):
        holders.setdefault(value, []).append(row)
    return [
        (j, i)
        for i, value in zip(singles.tolist(), wanted.tolist(), strict=True)
        for j in holders.get(value, ())
        if j < i
    ]


def _bound_allows(sk: Sketches, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """False where passages x and y certainly overlap by less than NEAR_DUPLICATE_JACCARD."""
    a, b = sk.sizes[x].astype(np.int64), sk.sizes[y].astype(np.int64)
    # J >= 0.8 needs |A ^ B| <= (|A| + |B|) / 9; |A ^ B| >= |a - b| and >= the signatures'
    # differing bits (each is set by a shingle only one of the two passages has).
    limit = a + b + 1  # one of slack against rounding in the exact check
    allowed: np.ndarray = 9 * np.abs(a - b) <= limit
    x, y = x[allowed], y[allowed]
    differing = np.bitwise_count(sk.signatures[x] ^ sk.signatures[y]).sum(axis=1, dtype=np.int64)
    allowed[allowed] = 9 * differing <= limit[allowed]
    return allowed
