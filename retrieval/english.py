"""General-English word frequencies: which words are real English, and how common each is.

The list is the frequency dictionary that ships with symspellpy (82,765 English words with
their counts in the Google Books n-gram corpus, MIT licence). It answers two questions the
corpus cannot: is an unknown word a typo or a real word the corpus lacks ("zurich",
"visa": real, so the corpus cannot answer; "enginer": a typo), and how much a word says
in everyday English ("someone", "thing": very little, whatever the corpus thinks).

Loaded once per process, on first use (about 0.1 s).
"""

from __future__ import annotations

import math
import threading
from importlib import resources

_LOCK = threading.Lock()
_FREQUENCIES: dict[str, int] | None = None
_TOTAL = 0
_RAREST = 1


def _load() -> dict[str, int]:
    global _FREQUENCIES, _TOTAL, _RAREST
    with _LOCK:
        if _FREQUENCIES is None:
            raw = resources.files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_bytes()
            fields = raw.split()
            table = dict(zip(map(bytes.decode, fields[0::2]), map(int, fields[1::2]), strict=True))
            _TOTAL = sum(table.values())
            _RAREST = min(table.values())
            _FREQUENCIES = table
    return _FREQUENCIES


def is_english(word: str) -> bool:
    """True for a lower-case word of the English list (apostrophes ignored)."""
    table = _FREQUENCIES if _FREQUENCIES is not None else _load()
    return word.replace("'", "") in table


def information(word: str) -> float:
    """Self-information of a word in general English, -log p (natural log).

    Words outside the list count as the rarest listed word: they are rare in English by
    definition (names, jargon, typos), and the caller decides which of those they are.
    """
    table = _FREQUENCIES if _FREQUENCIES is not None else _load()
    count = table.get(word.replace("'", ""), _RAREST)
    return math.log(_TOTAL / count)


def max_information() -> float:
    """-log p of the rarest listed word: the ceiling of information()."""
    if _FREQUENCIES is None:
        _load()
    return math.log(_TOTAL / _RAREST)


def warm() -> None:
    """Load the list now (a web worker does this before its first question)."""
    _load()
