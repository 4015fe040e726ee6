"""From a chat message to weighted concepts: cleaning, corrections, concepts, term weights.

The steps, each a pure function of the message and the corpus:
1. chat cleaning (retrieval.chat): the bot's name, greetings, fillers, emoji out; chat
   spellings rewritten;
2. spelling correction (retrieval.spelling) of words that are neither corpus words nor
   English words;
3. concepts (retrieval.synonyms): synonym phrases matched, every other content word a
   concept of its own;
4. a weight for each concept (its general-English information) and its corpus idf.
`careerbot ask --explain` shows every step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from retrieval import english
from retrieval.analyzer import STOPWORDS, stem, word_form
from retrieval.chat import ChatRules, clean_chat
from retrieval.spelling import Speller
from retrieval.synonyms import Concept, SynonymTable

ConceptKind = Literal["corpus", "absent", "noise"]


class WeightedConcept(BaseModel):
    """One concept of a question with its weight (how much it tells about the question)."""

    model_config = ConfigDict(frozen=True)

    label: str  # the asker's words for it, after cleaning
    concept: Concept
    # Information in general English (-log p, summed over the concept's words): the
    # gate's weight (see retrieval.gate for why).
    weight: float
    # The corpus idf of the concept's most common phrasing; None when the corpus lacks it.
    idf: float | None
    # corpus: some passage (or a document's title, authors, site) has it; absent: a real
    # word the corpus lacks (counts against an answer); noise: a lone number or letter the
    # corpus lacks (tells nothing, weight 0).
    kind: ConceptKind


class QueryAnalysis(BaseModel):
    """Everything the engine understood of one question (also the --explain view)."""

    model_config = ConfigDict(frozen=True)

    question: str
    cleaned: str
    removed: tuple[str, ...] = ()
    rewritten: tuple[tuple[str, str], ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    concepts: tuple[WeightedConcept, ...] = ()

    @property
    def searchable(self) -> list[Concept]:
        """The concepts worth searching for: those some passage has."""
        return [c.concept for c in self.concepts if c.kind == "corpus"]

    @property
    def known_weight(self) -> float:
        """Information of the concepts the corpus has."""
        return sum(c.weight for c in self.concepts if c.kind == "corpus")

    @property
    def absent_weight(self) -> float:
        """Information of the words no passage has."""
        return sum(c.weight for c in self.concepts if c.kind == "absent")


def _known_singular(word: str, idf: Callable[[str], float | None]) -> str | None:
    """ "mles" -> "mle" when the corpus has the singular and not the plural: the plural of an
    acronym typed in lower case ("mles", "gpus", "llms"), which the stemmer keeps whole (it
    singularises "MLEs" only in capitals, see retrieval.analyzer). Never an English word
    ("news" is not "new")."""
    if (
        len(word) > 3
        and word.endswith("s")
        and not english.is_english(word)
        and idf(stem(word)) is None
        and idf(stem(word[:-1])) is not None
    ):
        return word[:-1]
    return None


def _is_noise(word: str) -> bool:
    return word.isdigit() or len(word) < 2


def analyze(
    question: str,
    rules: ChatRules,
    synonyms: SynonymTable,
    speller: Speller,
    idf: Callable[[str], float | None],
    names: Sequence[str] = (),
) -> QueryAnalysis:
    """The weighted concepts of a question. `idf(term)` is the corpus idf of an analyzed
    term, or None when the corpus never uses it (no passage, no title)."""
    idf = lru_cache(maxsize=None)(idf)  # each term is looked up several times below
    chat = clean_chat(question, rules, names, corpus_has=speller.knows)
    tokens = chat.text.split()
    corrections: list[tuple[str, str]] = []
    surface: dict[str, str] = {}  # analyzed term -> the asker's word for it
    for n, token in enumerate(tokens):
        word = word_form(token)
        # A capital inside a word marks a name or an acronym ("iTregs", "ComYMV"), never a typo.
        fix = (
            None
            if any(c.isupper() for c in token[1:])
            else _known_singular(word, idf) or speller.correct(word)
        )
        if fix is not None:
            corrections.append((token, fix))
            tokens[n] = word = fix  # a split compound ("oncall" -> "on call") is two words
        for part in word.split():
            if part not in STOPWORDS:
                surface.setdefault(stem(part), part)
    cleaned = " ".join(tokens)
    concepts: list[WeightedConcept] = []
    for concept in synonyms.concepts(cleaned):
        options = (concept.terms, *concept.alternatives)
        held = any(all(idf(t) is not None for t in option) for option in options)
        words = [surface.get(t, t) for t in concept.terms]
        label = " ".join(words)
        information = sum(english.information(w) for w in words)
        if held:
            # A concept is as common in the corpus as its most common phrasing.
            corpus_idf = min(
                sum(idf(t) or 0.0 for t in option) / len(option) * len(concept.terms)
                for option in options
                if all(idf(t) is not None for t in option)
            )
            concepts.append(
                WeightedConcept(
                    label=label, concept=concept, weight=information, idf=corpus_idf, kind="corpus"
                )
            )
        elif all(_is_noise(w) for w in words):
            concepts.append(WeightedConcept(label=label, concept=concept, weight=0.0, idf=None, kind="noise"))
        else:
            concepts.append(
                WeightedConcept(label=label, concept=concept, weight=information, idf=None, kind="absent")
            )
    return QueryAnalysis(
        question=question,
        cleaned=cleaned,
        removed=chat.removed,
        rewritten=chat.rewritten,
        corrections=tuple(corrections),
        concepts=tuple(concepts),
    )
