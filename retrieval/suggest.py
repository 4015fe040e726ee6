"""Questions to suggest as a person types (Discord autocomplete, Slack suggested prompts).

Pure functions. `heading_questions` turns a corpus's section headings into questions
("Career Opportunities" -> "What are the career opportunities?", "Software Engineers Will
Never Be ML Engineers" -> "Why will software engineers never be ML engineers?"), skipping
headings that say nothing about the topic ("Final Thoughts", "Quotes"). `Suggestions`
ranks a fixed list of questions against what has been typed so far, with the engine's own
analyzer (stopwords, stemming, British spellings) and term weights, plus a prefix match for
the word still being typed. Which candidates the corpus really answers is the caller's
choice (`answerable` filters them through any ask function).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from retrieval.analyzer import tokenize, words

MAX_SUGGESTIONS = 25  # Discord's limit on autocomplete choices
MAX_LENGTH = 100  # Discord's limit on a choice's name and value
MIN_PREFIX = 2  # a single typed letter matches everything; wait for two

_QUESTION_WORDS = frozenset(
    [
        "what",
        "how",
        "why",
        "when",
        "who",
        "which",
        "where",
        "is",
        "are",
        "do",
        "does",
        "can",
        "could",
        "should",
        "will",
        "would",
    ]
)
# Verbs that make a heading a statement: moved to the front of a "why" question.
_AUXILIARIES = frozenset(
    ["will", "can", "should", "would", "could", "must", "is", "are", "do", "does", "won't", "can't"]
)
# Headings made of these words (and stopwords) name a part of an article, not a topic.
_GENERIC = frozenset(
    """
    final thoughts thought quotes quote cents conclusion conclusions summary introduction intro
    references reference notes note takeaways takeaway tl dr tldr appendix update updates faq
    reader readers question questions worked example examples potential solutions solution
    comments comment bonus misc miscellaneous resources further reading acknowledgements
    my 2 two
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Where a heading's head noun phrase ends ("Role of uncertainty": "Role").
_PREPOSITIONS = frozenset(
    [
        "of",
        "for",
        "in",
        "on",
        "with",
        "between",
        "to",
        "versus",
        "vs",
        "and",
        "or",
        "at",
        "from",
        "by",
        "about",
    ]
)
_ARTICLES = frozenset(["the", "a", "an"])
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
_SPACES = re.compile(r"\s+")


def _lower_word(word: str) -> str:
    """A heading's word in sentence case: acronyms (ML, MLEs, AI) keep their capitals."""
    letters = [c for c in word if c.isalpha()]
    if sum(c.isupper() for c in letters) >= 2:
        return word
    return word.lower()


def heading_question(heading: str) -> str | None:
    """One section heading as a question, or None when it names no topic."""
    text = _SPACES.sub(" ", _PARENTHESES.sub("", heading)).strip().rstrip(":.!-–— ").strip()
    if not text or len(text) > MAX_LENGTH - 20:
        return None
    raw = text.split(" ")
    plain = [w.strip(",;'\"").lower() for w in raw]
    if all(w in _GENERIC or not tokenize(w) for w in words(text)):
        return None
    if text.endswith("?") or plain[0] in _QUESTION_WORDS:
        question = text.rstrip("?")
        return question[0].upper() + question[1:] + "?"
    sentence = [_lower_word(w) for w in raw]
    for position, word in enumerate(plain[1:], start=1):
        if word in _AUXILIARIES:
            rest = sentence[:position] + sentence[position + 1 :]
            return f"Why {word} {' '.join(rest)}?"
    phrase = " ".join(sentence)
    head = next((n for n, w in enumerate(plain) if n and w in _PREPOSITIONS), len(plain)) - 1
    noun = plain[head]
    if noun.endswith("s") and not noun.endswith("ss") and len(noun) > 3:
        return f"What are {phrase}?" if plain[0] in _ARTICLES else f"What are the {phrase}?"
    return f"What about {phrase}?"


def heading_questions(headings: Iterable[str | None]) -> list[str]:
    """Questions from section headings, in first-seen order, without duplicates."""
    seen: set[str] = set()
    found: list[str] = []
    for heading in headings:
        question = heading_question(heading) if heading else None
        if question and question.lower() not in seen:
            seen.add(question.lower())
            found.append(question)
    return found


def answerable(questions: Iterable[str], answers: Callable[[str], bool]) -> list[str]:
    """The questions `answers` says the corpus answers (e.g. `lambda q: engine.ask(q).answered`)."""
    return [q for q in questions if answers(q)]


@dataclass(frozen=True)
class _Candidate:
    text: str
    terms: frozenset[str]
    words: tuple[str, ...]
    lower: str


@dataclass
class Suggestions:
    """A fixed list of questions, ranked against partial input by `rank()`.

    `weight` gives a term's weight (the engine's idf); unknown terms weigh 1.0.
    """

    questions: Sequence[str]
    weight: Callable[[str], float] = field(default=lambda term: 1.0)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        self._candidates: list[_Candidate] = []
        for question in self.questions:
            text = _SPACES.sub(" ", question).strip()
            if not 1 <= len(text) <= MAX_LENGTH or text.lower() in seen:
                continue
            seen.add(text.lower())
            self._candidates.append(
                _Candidate(text, frozenset(tokenize(text)), tuple(words(text)), text.lower())
            )

    @property
    def all(self) -> list[str]:
        return [c.text for c in self._candidates]

    def _weight(self, term: str) -> float:
        try:
            value = float(self.weight(term))
        except (KeyError, ValueError):
            return 1.0
        return value if value > 0 else 1.0

    def rank(self, typed: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
        """Up to `limit` questions that match what has been typed, best first.

        Nothing typed: the questions in their given order. Otherwise a question scores the
        weights of the typed terms it contains, plus the weight of the word being typed
        when one of its words starts with it; a question that starts with the typed text
        wins outright. Ties keep the given order. Questions matching nothing are left out.
        """
        limit = max(0, min(limit, MAX_SUGGESTIONS))
        typed = typed[:1000]
        if not typed.strip():
            return self.all[:limit]
        typed_words = words(typed)
        partial = typed_words[-1] if typed_words and not typed[-1:].isspace() else ""
        complete = typed_words[:-1] if partial else typed_words
        terms = set(tokenize(" ".join(complete)))
        lowered = _SPACES.sub(" ", typed.strip().lower())
        scored: list[tuple[float, int, str]] = []
        for position, candidate in enumerate(self._candidates):
            score = sum(self._weight(t) for t in terms if t in candidate.terms)
            if len(partial) >= MIN_PREFIX:
                stems = tokenize(partial)
                if any(w.startswith(partial) for w in candidate.words):
                    score += self._weight(stems[0]) if stems else 0.5
                elif stems and stems[0] in candidate.terms:
                    score += self._weight(stems[0])
            if len(lowered) >= MIN_PREFIX and candidate.lower.startswith(lowered):
                score += 1000.0
            if score > 0:
                scored.append((-score, position, candidate.text))
        scored.sort()
        return [text for _, _, text in scored[:limit]]
