"""Text analysis shared by passages and questions (Lucene-style English).

tokenize(): split on word boundaries, drop possessive 's, lowercase, remove English
stopwords, Snowball-stem. The same function runs on passages and on questions, so a
question term and a passage term meet in the same form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain

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
)

# Word characters (Unicode letters and digits) with inner apostrophes or a trailing "+"/"#"
# (c++, c#). The apostrophe handling drops English possessives: "engineer's" -> "engineer".
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*[+#]*", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$")
_ACRONYM_PLURAL = re.compile(r"^[A-Z][A-Z0-9]+s$")

_stemmer = Stemmer.Stemmer("english")


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


class TermTable:
    """Analyzed terms numbered in order of first sight, for batch analysis (index builds).

    `ids` maps a raw token straight to its term's number (-1 for a stopword), so a batch
    costs one dictionary lookup per token, in C, plus tokenize()'s work once per new token.
    """

    def __init__(self) -> None:
        self.terms: list[str] = []
        self._term_ids: dict[str, int] = {}
        self.ids: dict[str, int] = {}

    def release(self) -> None:
        """Forget the memos (after the last batch); `terms` stays."""
        self.ids.clear()
        self._term_ids.clear()

    def analyze(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(term numbers of all texts, one text after another; number of terms per text):
        for each text exactly tokenize(text), as numbers."""
        raw = [_raw_tokens(text) for text in texts]
        flat = list(chain.from_iterable(raw))
        ids = self.ids
        missing = set(flat).difference(ids)
        if missing:
            new = sorted(missing)  # sorted: numbering independent of hash order
            for token, term in zip(new, _terms(new), strict=True):
                if term is None:
                    ids[token] = -1
                    continue
                number = self._term_ids.get(term)
                if number is None:
                    number = self._term_ids[term] = len(self.terms)
                    self.terms.append(term)
                ids[token] = number
        numbers = np.fromiter(map(ids.__getitem__, flat), dtype=np.int32, count=len(flat))
        counts = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
        kept = numbers >= 0
        if kept.all():
            return numbers, counts
        owner = np.repeat(np.arange(len(raw)), counts)
        return numbers[kept], np.bincount(owner[kept], minlength=len(raw)).astype(np.int64)


def _terms(tokens: list[str]) -> list[str | None]:
    """[_term(t) for t in tokens], for many new tokens at once: numbers skip _word() (it
    leaves them as they are), the British rules run only on words that could match them,
    and Snowball stems the whole list in one call. The same terms, several times faster."""
    words = [t if t.isascii() and t.isdigit() else _word(t) for t in tokens]
    content = [w for w in words if w not in STOPWORDS]
    british = []
    for w in content:
        if "is" in w or "ys" in w or "our" in w:  # every _BRITISH pattern needs one of these
            for pattern, replacement in _BRITISH:
                w = pattern.sub(replacement, w)
        british.append(w)
    stems = iter(_stemmer.stemWords(british))
    return [None if w in STOPWORDS else next(stems) for w in words]
