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

Two other ways chat spells a corpus word, tried before edit distance because they change
no letter: a compound written as one word ("oncall" for "on-call", "dropdown" for "drop
down": two English words the corpus uses, or one and a stopword), and a truncation
("perf" for "performance", "config" for "configuration": the most used corpus word that
starts with it, at least TRUNCATION_GAP letters longer). Neither applies to an English word.

A typo of an English word the corpus lacks ("paternaty", "reimbursd") is corrected to the
commonest English word one edit away: it is then weighed as that word, not as the rarest
of words, and its stem may still be the corpus's ("reimbursed" -> "reimburs", as in
"reimbursement").
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable

from rapidfuzz.distance import OSA

from retrieval.analyzer import STOPWORDS
from retrieval.english import information, is_english

MIN_LENGTH = 4
LONG_WORD = 8  # from this length on, a correction may be two edits away
MIN_COMPOUND = 6  # "oncall": shorter words split into chance pairs ("often" = "of" + "ten")
MIN_PART = 2
TRUNCATION_GAP = 3  # "perf" -> "performance", never "pape" -> "paper"


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _edits(word: str) -> set[str]:
    """Every string one edit (delete, swap of neighbours, substitute, insert) from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        _deletes(word)
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
        | {a + c + b for a, b in splits for c in _LETTERS}
    )


def _english_neighbour(word: str) -> str | None:
    """The commonest English word one edit from `word` (a few hundred set lookups)."""
    english = [w for w in _edits(word) if w != word and is_english(w)]
    return min(english, key=lambda w: (information(w), w)) if english else None


class Speller:
    """Corrects unknown words towards a corpus's lower-case words; `frequency(word)` (how
    many passages use it) breaks ties between equally close candidates."""

    def __init__(self, vocabulary: Iterable[str], frequency: Callable[[str], int] = lambda _w: 0) -> None:
        self._words = {w for w in vocabulary if w.isalpha() and len(w) >= MIN_LENGTH - 1}
        self._frequency = frequency
        self._index: dict[str, list[str]] | None = None
        self._sorted: list[str] = sorted(self._words)
        self._lock = threading.Lock()
        self._cache: dict[str, str | None] = {}

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Speller:
        """A speller over these words, a word's frequency being how often it is given."""
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        return cls(counts, lambda word: counts.get(word, 0))

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
        result = self._split(word) or self._expand(word) or self._closest(word) or _english_neighbour(word)
        if len(self._cache) < 50_000:
            self._cache[word] = result
        return result

    def _closest(self, word: str) -> str | None:
        """The corpus word within the edit limit: the closest, then the most used."""
        index = self._built()
        limit = 2 if len(word) >= LONG_WORD else 1
        candidates = {c for key in (word, *_deletes(word)) for c in index.get(key, ())}
        close = [
            (distance, -self._frequency(c), c)
            for c in candidates
            if (distance := OSA.distance(word, c, score_cutoff=limit)) <= limit
        ]
        return min(close)[2] if close else None

    def _split(self, word: str) -> str | None:
        """A compound of two English words the corpus uses (or one and a stopword), as two
        words; of several splits, the first whose rarer part the corpus uses most."""
        if len(word) < MIN_COMPOUND:
            return None
        splits = []
        for at in range(MIN_PART, len(word) - MIN_PART + 1):
            left, right = word[:at], word[at:]
            known = [p for p in (left, right) if p not in STOPWORDS]
            # Each part a stopword or an English word the corpus uses: never a chance pair
            # of fragments ("neuralation" is no "neural" + "ation").
            if known and all(p in self._words and is_english(p) for p in known):
                splits.append((min(self._frequency(p) for p in known), f"{left} {right}"))
        return max(splits, key=lambda s: s[0])[1] if splits else None

    def _expand(self, word: str) -> str | None:
        """The most used corpus word that `word` truncates (the first, alphabetically, of equals)."""
        words = self._sorted
        longer = []
        for at in range(bisect.bisect_left(words, word), len(words)):  # no copy of the list's rest
            candidate = words[at]
            if not candidate.startswith(word):
                break
            if len(candidate) - len(word) >= TRUNCATION_GAP:
                longer.append((self._frequency(candidate), candidate))
        return max(longer, key=lambda c: c[0])[1] if longer else None
