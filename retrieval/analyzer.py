"""Text analysis shared by passages and questions (Lucene-style English).

tokenize(): split on word boundaries, drop possessive 's, lowercase, remove English
stopwords, Snowball-stem. The same function runs on passages and on questions, so a
question term and a passage term meet in the same form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from typing import Literal, overload

import numpy as np
import Stemmer

# Lucene's EnglishAnalyzer stop set plus the function words of a question ("what does
# ... do", "how can I"): in a corpus of ~100 passages these words carry no topic but
# would otherwise match almost every passage and let any question look answerable.
STOPWORDS: frozenset[str] = frozenset(
    """
    a an and are as at be but by for if in into is it no not of on or such that the their then
    there these they this to was will with about above after again against all am any because
    been before being below between both can could did do does doing down during each few from
    further had has have having he her here hers herself him himself his how i im its itself
    just me more most my myself nor now off once only other our ours ourselves out over own same
    she should so some than theirs them themselves those through too under until up very we were
    what when where which while who whom why would you your yours yourself yourselves us let
    lets may might must shall also get gets got really s t ll ve re d m dont doesnt didnt isnt
    arent wasnt werent cant couldnt wont wouldnt shouldnt havent hasnt hadnt
    """.split()  # noqa: SIM905 - a word list reads better as text
) | frozenset(
    # The function words of the Glasgow IR group's stop list (as scikit-learn ships it):
    # pronouns, determiners and quantifiers, prepositions, conjunctions and closed-class
    # adverbs. Its nouns, verbs, adjectives and numerals stay searchable ("call", "system",
    # "next", "first", "two"): in a handbook they are topics. Chat questions are full of
    # these words ("can someone explain", "every job post says something else"), and a
    # small corpus gives each of them the idf of a rare topic word.
    """
    across afterwards almost along already although always among amongst another anyhow
    anyone anything anyway anywhere around beforehand behind beside besides beyond cannot eg
    either else elsewhere enough etc even ever every everyone everything everywhere except
    formerly hence hereafter hereby herein hereupon however ie indeed latterly least less many
    meanwhile moreover mostly much namely neither never nevertheless nobody none noone nothing
    nowhere often onto others otherwise per perhaps rather several since somehow someone
    something sometime sometimes somewhere still thence thereafter thereby therefore therein
    thereupon though throughout thru thus together toward towards upon via whatever whence
    whenever whereafter whereas whereby wherein whereupon wherever whether whither whoever
    whose within without yet
    """.split()  # noqa: SIM905
)

# Word characters (Unicode letters and digits) with inner apostrophes or a trailing "+"/"#"
# (c++, c#). The apostrophe handling drops English possessives: "engineer's" -> "engineer".
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*[+#]*", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$")
_ACRONYM_PLURAL = re.compile(r"^[A-Z][A-Z0-9]+s$")

_stemmer = Stemmer.Stemmer("english")
# The same stemmer without PyStemmer's cache, for an index build's new words (each seen
# once: the cache's bookkeeping made stemming them 4x slower).
_batch_stemmer = Stemmer.Stemmer("english", 0)


# British spellings folded to American before stemming, so "specialise" meets
# "specialized" and "behaviour" meets "behavior" (Snowball stems them apart). Both sides
# of every comparison go through the same rule, so a word that merely ends in "-ise"
# ("expertise") is changed consistently and nothing it matched before is lost.
_BRITISH = (
    (re.compile(r"(?<=\w{3})is(e|es|ed|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"(?<=\w{2})ys(e|es|ed|ing)$"), r"yz\1"),
    (re.compile(r"(?<=\w)(i|v|b|l|m|n)our(s|ed|ing|ite|ites|able)?$"), r"\1or\2"),
)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    for pattern, replacement in _BRITISH:
        word = pattern.sub(replacement, word)
    stemmed: str = _stemmer.stemWord(word)
    return stemmed


@lru_cache(maxsize=500_000)
def _word(token: str) -> str:
    """One raw token in its word form (cached: the same tokens recur all the time)."""
    # The plural of an acronym ("SWEs", "MLEs", "GPUs") is the acronym: Snowball keeps
    # the "s" after a vowel, so "SWEs" would never meet "SWE".
    if _ACRONYM_PLURAL.match(token):
        token = token[:-1]
    token = _POSSESSIVE.sub("", token.lower())
    if not token.isascii():
        # Accents folded ("résumé" meets "resume", "Zürich" "zurich"): people type without
        # them, and a document may or may not use them. Letters without a combining mark
        # ("ß", "ø", and other scripts' letters) stay as they are.
        token = "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))
    # Contractions and inner apostrophes ("don't", "o'reilly") are kept whole but the
    # apostrophe removed, so "don't" never splits into a stray "t".
    token = token.replace("’", "").replace("'", "")
    # A trailing + or # names a language only after a single letter (c++, c#, f#);
    # elsewhere it is notation ("CD4+", "top-10+") and must meet the bare word.
    base = token.rstrip("+#")
    return token if len(base) == 1 and base != token else base


@lru_cache(maxsize=500_000)
def _term(token: str) -> str | None:
    """A raw token's analyzed term, or None for a stopword."""
    word = _word(token)
    return None if word in STOPWORDS else _stem(word)


def _raw_tokens(text: str) -> list[str]:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _TOKEN.findall(text)


def words(text: str) -> list[str]:
    """Lower-cased word tokens with possessives dropped, before stopwords and stemming."""
    return [_word(t) for t in _raw_tokens(text)]


def tokenize(text: str) -> list[str]:
    """Analyzed terms of `text`: words, minus stopwords, Snowball-stemmed."""
    return [term for term in map(_term, _raw_tokens(text)) if term is not None]


def phrase_terms(text: str) -> list[str]:
    """Every word of `text` in analyzed form, stopwords kept (as themselves): the form in
    which synonym phrases are matched, so "day to day" is a phrase and not just "day"."""
    return [w if w in STOPWORDS else _stem(w) for w in words(text)]


def word_form(token: str) -> str:
    """One raw token ("MLEs", "engineer's") in the lower-case word form tokenize() stems."""
    return _word(token)


def stem(word: str) -> str:
    """The analyzed (stemmed) form of one lower-case word, stopwords included."""
    return _stem(word)


# bytes.translate table for a text's UTF-8 form: what _TOKEN can match ([A-Za-z0-9'+#],
# and every byte of a non-ASCII character) stays, and "%" (a word character of
# near-duplicate detection, see TermTable's `words`); every other ASCII byte becomes a
# space. No token holds such a byte, so a text's tokens are those of its space-separated
# pieces, one piece after another (a piece is cut only at ASCII bytes: valid UTF-8).
_PIECE_BYTES = bytes(c if c >= 128 or chr(c).isalnum() or c in b"'+#%" else 32 for c in range(256))
_MISSING = -(1 << 62)  # a piece not in the memo yet
PIECE_STEP_BYTES = 1 << 22
_LOW_BYTES = np.array([(1 << 8 * i) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_MIX_A = np.uint64(0x9E3779B97F4A7C15)
_MIX_B = np.uint64(0xC2B2AE3D27D4EB4F)

PieceWords = Callable[[list[bytes]], list[list[int]]]


@dataclass
class Words:
    """What TermTable's `words` function gives for the pieces of a batch's ASCII texts."""

    values: np.ndarray  # (int64) one text after another
    counts: np.ndarray  # per text (0 for a text that is not ASCII)
    plain: np.ndarray  # (bool) per text: ASCII (the others' values are the caller's to find)


class TermTable:
    """Analyzed terms numbered in order of first sight, for batch analysis (index builds).

    A batch of texts (NFKC-normalised where not ASCII, as tokenize() does) is one UTF-8
    byte string, cut into pieces at the ASCII bytes no token holds (_PIECE_BYTES). Each
    distinct piece is analyzed once and remembered by number, with its term code: its
    term's number, -1 for a piece without terms (stopwords, a lone "'"), or -2 - k for a
    piece of several terms (`c++x`, `CD4+CD8+`), the k-th entry of a small table. The
    pieces are found and told apart in numpy (see _pieces), so tokenize()'s Python work
    runs once per new piece, and a batch's other pieces cost a few array passes.

    `words`, if given, maps new pieces to a list of integers each (near-duplicate
    detection's word hashes), remembered the same way, so that analyze(..., words=True)
    gives them for the ASCII texts from the same pass.
    """

    def __init__(self, words: PieceWords | None = None) -> None:
        self.terms: list[str] = []
        self._term_ids: dict[str, int] = {}
        # Pieces of <= 16 bytes: their keys sorted by mixed key, and their numbers.
        self._memo_mixed = self._memo_low = self._memo_high = np.empty(0, dtype=np.uint64)
        self._memo_number = np.empty(0, dtype=np.int64)
        self._clashes: dict[int, int] = {}  # a 16-byte key whose mixed key another has -> number
        self._long: dict[bytes, int] = {}  # longer piece -> its number
        self._piece_terms = np.empty(0, dtype=np.int64)  # term code per piece number
        self._piece_words = np.empty(0, dtype=np.int64)  # word code per piece number
        self._several: list[np.ndarray] = []  # the terms of each piece of several terms
        self._several_words: list[np.ndarray] = []
        self._words = words

    def release(self) -> None:
        """Forget the memos (after the last batch); `terms` stays."""
        self._term_ids.clear()
        self._memo_mixed = self._memo_low = self._memo_high = np.empty(0, dtype=np.uint64)
        self._memo_number = np.empty(0, dtype=np.int64)
        self._clashes.clear()
        self._long.clear()
        self._several.clear()
        self._several_words.clear()
        self._piece_terms = self._piece_words = np.empty(0, dtype=np.int64)

    @overload
    def analyze(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]: ...

    @overload
    def analyze(self, texts: Sequence[str], words: Literal[True]) -> tuple[np.ndarray, np.ndarray, Words]: ...

    def analyze(
        self, texts: Sequence[str], words: bool = False
    ) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, Words]:
        """(term numbers of all texts, one text after another; number of terms per text):
        for each text exactly tokenize(text), as numbers. With `words`, also the `words`
        function's values for the ASCII texts."""
        n = len(texts)
        joined = "\n".join(texts)
        if joined.isascii():
            plain = np.ones(n, dtype=bool)
            blob = joined.encode("ascii")
            lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        else:
            plain = np.fromiter(map(str.isascii, texts), dtype=bool, count=n)
            flags = plain.tolist()
            forms = [t if a else unicodedata.normalize("NFKC", t) for t, a in zip(texts, flags, strict=True)]
            blob = "\n".join(forms).encode()
            lengths = np.fromiter(  # in bytes
                (len(f) if a else len(f.encode()) for f, a in zip(forms, flags, strict=True)),
                np.int64,
                count=n,
            )
        del joined
        # A few MB of text at a time: the temporaries stay small whatever the batch.
        bounds = np.concatenate(([0], np.cumsum(lengths + 1)))
        cuts = np.unique(
            np.searchsorted(bounds, np.arange(0, int(bounds[-1]), PIECE_STEP_BYTES))
        ).tolist() or [0]
        steps = [
            self._pieces(blob[bounds[a] : bounds[b]], lengths[a:b])
            for a, b in zip(cuts, [*cuts[1:], n], strict=True)
            if b > a
        ]
        del blob
        numbers = np.concatenate([s[0] for s in steps]) if steps else np.empty(0, dtype=np.int64)
        pieces = np.concatenate([s[1] for s in steps]) if steps else np.empty(0, dtype=np.int64)
        ids, counts = _expand(self._piece_terms[numbers], pieces, self._several, 0)
        ids = ids.astype(np.int32)
        if not words:
            return ids, counts
        if not plain.all():
            numbers, pieces = numbers[np.repeat(plain, pieces)], pieces[plain]
        values, per_text = _expand(self._piece_words[numbers], pieces, self._several_words, 1)
        word_counts = np.zeros(n, dtype=np.int64)
        word_counts[plain] = per_text
        return ids, counts, Words(values, word_counts, plain)

    def _pieces(self, text: bytes, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(number of each piece, pieces per text) of UTF-8 texts joined by newlines
        (`lengths`: bytes per text).

        A piece of up to 16 bytes is its own key (two little-endian uint64 words,
        zero-padded: no piece holds a zero byte), and one sort of the batch's keys gives
        its distinct pieces; only those meet the memo (sorted arrays: _short_lookup).
        Longer pieces (rare) go through a dict of bytes."""
        blob = text.translate(_PIECE_BYTES)
        size = len(blob)
        padded = np.zeros(size + 16, dtype=np.uint8)
        padded[:size] = np.frombuffer(blob, dtype=np.uint8)
        held = np.zeros(size + 2, dtype=np.int8)
        held[1:-1] = padded[:size] != 32
        edge = np.diff(held)
        starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
        del held, edge
        # Pieces per text: where each text's first byte falls among the pieces' starts.
        bounds = np.concatenate(([0], np.cumsum(lengths + 1)))
        per_text = np.diff(np.searchsorted(starts, bounds)).astype(np.int64)
        widths = ends - starts
        numbers = np.empty(starts.shape[0], dtype=np.int64)
        short = widths <= 16
        # Every offset's next 8 bytes as one (unaligned) uint64: a piece's key is two gathers.
        windows = np.ndarray((size + 9,), dtype="<u8", buffer=padded, strides=(1,))
        first, width = starts[short], widths[short]
        low = windows[first] & _LOW_BYTES[np.minimum(width, 8)]
        high = windows[first + 8] & _LOW_BYTES[np.clip(width - 8, 0, 8)]
        numbers[short] = self._short_numbers(low, high)
        long = np.flatnonzero(~short)
        if long.size:
            pieces = [blob[a:b] for a, b in zip(starts[long].tolist(), ends[long].tolist(), strict=True)]
            numbers[long] = self._long_lookup(pieces)
        return numbers, per_text

    def _short_numbers(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """The number of each piece of up to 16 bytes, given as its two key words."""
        n = low.shape[0]
        if n == 0:
            return np.empty(0, dtype=np.int64)
        # Sort (mixed key, top bits) with the position in the low bits: one in-place sort,
        # several times faster than an argsort. Pieces with one key are then adjacent,
        # unless two keys share their top bits; that is checked, and then lexsort decides.
        bits = np.uint64(max(n.bit_length(), 1))
        mixed = (low * _MIX_A) ^ (high * _MIX_B)
        packed = ((mixed >> bits) << bits) | np.arange(n, dtype=np.uint64)
        del mixed
        packed.sort()
        order = (packed & ((np.uint64(1) << bits) - np.uint64(1))).astype(np.intp)
        low_sorted, high_sorted = low[order], high[order]
        starts = np.empty(n, dtype=bool)
        starts[0] = True
        starts[1:] = (packed[1:] >> bits) != (packed[:-1] >> bits)
        del packed
        same = (low_sorted[1:] == low_sorted[:-1]) & (high_sorted[1:] == high_sorted[:-1])
        if (same == starts[1:]).any():  # two different pieces share their top bits
            order = np.lexsort((high, low))
            low_sorted, high_sorted = low[order], high[order]
            starts[1:] = (low_sorted[1:] != low_sorted[:-1]) | (high_sorted[1:] != high_sorted[:-1])
        group = np.cumsum(starts) - 1
        distinct = self._short_lookup(low_sorted[starts], high_sorted[starts])
        numbers = np.empty(n, dtype=np.int64)
        numbers[order] = distinct[group]
        return numbers

    def _short_lookup(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """The numbers of distinct pieces of up to 16 bytes, adding the new ones.

        The memo is arrays sorted by the mixed key (with the two key words, so a match
        is exact); a piece whose mixed key another piece already has (never seen; a
        2**-64 chance a pair) is remembered in a small dict instead."""
        mixed = (low * _MIX_A) ^ (high * _MIX_B)
        numbers = np.full(low.shape[0], _MISSING, dtype=np.int64)
        size = self._memo_mixed.shape[0]
        if size:
            at = np.minimum(np.searchsorted(self._memo_mixed, mixed), size - 1)
            same = self._memo_mixed[at] == mixed
            hit = same & (self._memo_low[at] == low) & (self._memo_high[at] == high)
            numbers[hit] = self._memo_number[at[hit]]
            for i in np.flatnonzero(same & ~hit).tolist():
                numbers[i] = self._clashes.get(int(low[i]) | int(high[i]) << 64, _MISSING)
        new = np.flatnonzero(numbers == _MISSING)
        if new.size == 0:
            return numbers
        base = self._piece_terms.shape[0]
        numbers[new] = base + np.arange(new.size)
        new_low, new_high = low[new].tolist(), high[new].tolist()
        self._add(
            [
                (a | b << 64).to_bytes(16, "little").rstrip(b"\0")
                for a, b in zip(new_low, new_high, strict=True)
            ]
        )
        # Into the sorted memo, unless the mixed key is taken (by the memo or another new piece).
        order = new[np.argsort(mixed[new], kind="stable")]
        taken = np.zeros(order.shape[0], dtype=bool)
        taken[1:] = mixed[order[1:]] == mixed[order[:-1]]
        if size:
            at = np.minimum(np.searchsorted(self._memo_mixed, mixed[order]), size - 1)
            taken |= self._memo_mixed[at] == mixed[order]
        for i in order[taken].tolist():
            self._clashes[int(low[i]) | int(high[i]) << 64] = int(numbers[i])
        order = order[~taken]
        where = np.searchsorted(self._memo_mixed, mixed[order])
        self._memo_mixed = np.insert(self._memo_mixed, where, mixed[order])
        self._memo_low = np.insert(self._memo_low, where, low[order])
        self._memo_high = np.insert(self._memo_high, where, high[order])
        self._memo_number = np.insert(self._memo_number, where, numbers[order])
        return numbers

    def _long_lookup(self, pieces: list[bytes]) -> np.ndarray:
        """The numbers of pieces longer than 16 bytes (a dict), adding the new ones."""
        memo = self._long
        numbers = np.fromiter(map(memo.get, pieces, repeat(_MISSING)), dtype=np.int64, count=len(pieces))
        missing = np.flatnonzero(numbers == _MISSING).tolist()
        if missing:
            fresh = list(dict.fromkeys([pieces[i] for i in missing]))
            base = self._piece_terms.shape[0]
            memo.update(zip(fresh, range(base, base + len(fresh)), strict=True))
            self._add(fresh)
            numbers[missing] = np.fromiter(
                map(memo.__getitem__, [pieces[i] for i in missing]), np.int64, len(missing)
            )
        return numbers

    def _add(self, fresh: list[bytes]) -> None:
        """Remember the term and word codes of new pieces (numbered from the next number)."""
        # A piece of letters and digits only (most) is its own one token.
        tokenized = [[p.decode()] if p.isalnum() else _TOKEN.findall(p.decode()) for p in fresh]
        self._piece_terms = np.concatenate((self._piece_terms, self._codes(tokenized)))
        if self._words is None:
            word_codes = [0] * len(fresh)
        else:
            word_codes = [
                values[0] if len(values) == 1 else _several_code(values, self._several_words, 0, 1)
                for values in self._words(fresh)
            ]
        self._piece_words = np.concatenate((self._piece_words, np.array(word_codes, dtype=np.int64)))

    def _codes(self, tokenized: list[list[str]]) -> np.ndarray:
        """The term code of each new piece, from its raw tokens."""
        # In order of appearance: the numbering never depends on hash order.
        tokens = list(dict.fromkeys(chain.from_iterable(tokenized)))
        term_ids = self._term_ids
        ids: dict[str, int] = {}
        for token, term in zip(tokens, _terms(tokens), strict=True):
            if term is None:
                ids[token] = -1
                continue
            number = term_ids.get(term)
            if number is None:
                number = term_ids[term] = len(self.terms)
                self.terms.append(term)
            ids[token] = number
        several = self._several
        codes = [
            ids[piece[0]]
            if len(piece) == 1
            else _several_code([ids[t] for t in piece if ids[t] >= 0], several, -1, 2)
            for piece in tokenized
        ]
        return np.array(codes, dtype=np.int64)


def _several_code(values: list[int], several: list[np.ndarray], none: int, base: int) -> int:
    """The code of a piece with `values`: the value if there is one, `none` if there are
    none, else -base - k for the k-th entry of `several`, appended here."""
    if not values:
        return none
    if len(values) == 1:
        return values[0]
    several.append(np.array(values, dtype=np.int64))
    return -base - (len(several) - 1)


def _expand(
    codes: np.ndarray, pieces: np.ndarray, several: list[np.ndarray], single: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(values, values per text) from the pieces' codes and the pieces per text. A code
    >= `single` is one value; single - 1 none; below that, several (entry single - 2 - code)."""
    owner = np.repeat(np.arange(pieces.shape[0]), pieces)
    many = np.flatnonzero(codes < single - 1)
    if many.size == 0:
        kept = codes >= single
        values: np.ndarray = codes[kept]
        return values, np.bincount(owner[kept], minlength=pieces.shape[0]).astype(np.int64)
    entries = [several[k] for k in (single - 2 - codes[many]).tolist()]
    width = (codes >= single).astype(np.int64)
    width[many] = np.fromiter(map(len, entries), dtype=np.int64, count=len(entries))
    values = np.repeat(np.maximum(codes, single), width)
    first = np.cumsum(width) - width
    values[_ragged_positions(first[many], width[many])] = np.concatenate(entries)
    return values, np.bincount(owner, weights=width, minlength=pieces.shape[0]).astype(np.int64)


def _ragged_positions(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Positions start, start + 1, ..., start + length - 1 of each (start, length), in order."""
    total = int(lengths.sum())
    return np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)


def _terms(tokens: list[str]) -> list[str | None]:
    """[_term(t) for t in tokens], for many new tokens at once: numbers skip _word() (it
    leaves them as they are), the British rules run only on words that could match them,
    and Snowball stems the whole list in one call. The same terms, several times faster."""
    word = _word.__wrapped__  # uncached: an index build's tokens would only fill the cache
    words = [t if t.isascii() and t.isdigit() else word(t) for t in tokens]
    # Every _BRITISH pattern needs one of "is", "ys", "our".
    british = [
        _americanize(w) if "is" in w or "ys" in w or "our" in w else w for w in words if w not in STOPWORDS
    ]
    stems = iter(_batch_stemmer.stemWords(british))
    return [None if w in STOPWORDS else next(stems) for w in words]


def _americanize(word: str) -> str:
    for pattern, replacement in _BRITISH:
        word = pattern.sub(replacement, word)
    return word
