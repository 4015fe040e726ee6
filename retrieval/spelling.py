"""Spelling correction towards the corpus's own words.

Only a word that is neither in the corpus nor a real English word is corrected ("enginer",
"diffrence"): a real word the corpus lacks ("google", "zurich", "bootcamp") is information
the corpus cannot answer, and stays. A correction is a corpus word within a small edit
distance (optimal string alignment: insert, delete, substitute, swap two neighbours), the
closest first, then the one the corpus uses most.

How candidates are found (measured on a 20k-word vocabulary on a loaded 2-core machine):
symspellpy's SymSpell needed 3.8 s to index 20k words at distance 2 (every web worker
would pay it), and a full rapidfuzz scan costs 8.7 ms per unknown word. So candidates come
from a symmetric-delete index of our own at distance 1 (SymSpell's idea: a word and its
one-letter deletions; ~0.1 s for 20k words, microseconds a lookup), which finds every
distance-1 error and many of distance 2; rapidfuzz's OSA distance then checks each
candidate exactly. Words shorter than MIN_LENGTH are never corrected: too many real words
lie one letter apart ("pto", "sql", "l4").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from rapidfuzz.distance import OSA

from retrieval.english import is_english

MIN_LENGTH = 4
LONG_WORD = 8  # from this length on, a correction may be two edits away


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Speller:
    """Corrects unknown words towards a corpus's lower-case words; `frequency(word)` (how
    many passages use it) breaks ties between equally close candidates."""

    def __init__(self, vocabulary: Iterable[str], frequency: Callable[[str], int] = lambda _w: 0) -> None:
        self._words = {w for w in vocabulary if w.isalpha() and len(w) >= MIN_LENGTH - 1}
        self._frequency = frequency
        self._index: dict[str, list[str]] | None = None
        self._lock = threading.Lock()
        self._cache: dict[str, str | None] = {}

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Speller:
        """A speller over these words, a word's frequency being how often it is given."""
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        return cls(counts, counts.__getitem__)

    def knows(self, word: str) -> bool:
        return word in self._words

    def _built(self) -> dict[str, list[str]]:
        with self._lock:
            if self._index is None:
                index: dict[str, list[str]] = {}
                for word in self._words:
                    for key in (word, *_deletes(word)):
                        index.setdefault(key, []).append(word)
                self._index = index
        return self._index

    def warm(self) -> None:
        """Build the candidate index now rather than at the first typo."""
        self._built()

    def needs_correction(self, word: str) -> bool:
        """A lower-case word the corpus lacks that is no English word either."""
        return len(word) >= MIN_LENGTH and word.isalpha() and word not in self._words and not is_english(word)

    def correct(self, word: str) -> str | None:
        """The corpus word `word` was meant to be, or None (no close corpus word)."""
        if not self.needs_correction(word):
            return None
        if word in self._cache:
            return self._cache[word]
        index = self._built()
        limit = 2 if len(word) >= LONG_WORD else 1
        candidates = {c for key in (word, *_deletes(word)) for c in index.get(key, ())}
        best: tuple[int, int, str] | None = None
        for candidate in candidates:
            distance = OSA.distance(word, candidate, score_cutoff=limit)
            if distance <= limit:
                key = (distance, -self._frequency(candidate), candidate)
                best = key if best is None or key < best else best
        result = best[2] if best else None
        if len(self._cache) < 50_000:
            self._cache[word] = result
        return result
