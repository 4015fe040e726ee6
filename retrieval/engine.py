"""The answer engine: question in, Answer out. Built once at start-up, shared read-only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from retrieval.analyzer import tokenize
from retrieval.corpus import DEFAULT_CORPUS, CorpusStamp, corpus_stamp, default_synonyms_file
from retrieval.documents import load_corpus, load_synonyms
from retrieval.models import Answer, Document, Hit, OverviewItem, Passage
from retrieval.passages import deduplicate, split_document
from retrieval.question import clean_question
from retrieval.search import PassageSearch
from retrieval.storage import IndexParts, load_index, save_index
from retrieval.synonyms import Concept, SynonymTable

# Fixed sentences of ours, offered when the corpus has no answer and on the Home tab.
EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "What does a machine learning engineer do day to day?",
    "How is an ML engineer different from a software engineer?",
    "Will ML engineers need to learn DevOps?",
)

NO_ANSWER_TEXT = (
    "Sorry, the documents I answer from have nothing good on that. "
    "I can answer questions about machine learning engineers and software engineers, for example:"
)

# The no-answer gate. A question is answerable when its best passage holds at least two
# of the question's concepts (all of them, for a one-concept question) and at least 40% of
# its information: the idf-weighted share of its concepts the passage holds, a concept
# counting when the passage has its words or one of their synonyms, and a word the corpus
# never uses weighing as much as its rarest word. Off-topic questions ("when does the
# cafeteria open?", "who won the match?") meet the corpus in one incidental word at most;
# questions about the corpus, however phrased, find a passage that shares two concepts
# with them. Calibrated on the dev set and on our own set (tests/data/questions.json, 24
# on- and 17 off-topic questions): off-topic questions cover <= 0.33 with one concept,
# answerable ones >= 0.43 with two or more.
MIN_COVERAGE = 0.4
MIN_CONCEPTS = 2
# Further hits must score at least this share of the best one (above the no-match
# baseline): weaker ones are noise a person should not have to read.
MIN_RELATIVE_SCORE = 0.45
# When two candidates are close, one from a document not yet shown wins: a repeat
# document's score is multiplied by this before choosing.
SAME_DOCUMENT_PENALTY = 0.85
CANDIDATES = 30

OVERVIEW_ASPECTS: tuple[tuple[str, str], ...] = (
    ("Responsibilities", "responsibilities of software engineers versus machine learning engineers"),
    ("Problem space", "defined problem spaces versus ambiguous problems and hypotheses"),
    ("Development process", "development process testing prototyping and iteration"),
    ("Skills", "skills and expertise of software engineers and machine learning engineers"),
    ("Career", "career opportunities for software engineers and machine learning engineers"),
)


class Engine:
    """Search a corpus of career articles; see ask()."""

    def __init__(
        self,
        documents: Sequence[Document],
        passages: Sequence[Passage],
        search: PassageSearch,
        synonyms: SynonymTable,
        corpus: CorpusStamp,
        removed_duplicates: int = 0,
    ) -> None:
        # Sequences as given: a loaded index keeps them as arrays and builds objects on read.
        self.documents: Sequence[Document] = documents
        self.passages: Sequence[Passage] = passages
        self.search = search
        self.synonyms = synonyms
        self.corpus = corpus  # what a saved index records about the corpus
        self.fingerprint = corpus.digest
        self.removed_duplicates = removed_duplicates
        ids = getattr(documents, "ids", None) or [d.id for d in documents]
        self._document_position = {doc_id: n for n, doc_id in enumerate(ids)}

    @classmethod
    def from_corpus(cls, path: Path | str | None = None, synonyms_path: Path | str | None = None) -> Engine:
        """Load, validate, split and index a corpus (default: the bundled corpus/)."""
        path = Path(path) if path is not None else DEFAULT_CORPUS
        documents = load_corpus(path)
        synonyms_file = Path(synonyms_path) if synonyms_path else default_synonyms_file(path)
        groups = load_synonyms(synonyms_file) if synonyms_file else []
        split = [split_document(d) for d in documents]
        passages, removed = deduplicate(p for ps in split for p in ps)
        search = PassageSearch.build(*index_tokens(documents, split, passages))
        return cls(documents, passages, search, SynonymTable(groups), corpus_stamp(path), len(removed))

    @classmethod
    def load(cls, index_file: Path | str, corpus_path: Path | str | None = None) -> Engine:
        """Load a saved index (see retrieval.storage); refuses one built from another corpus."""
        parts = load_index(Path(index_file), Path(corpus_path) if corpus_path else DEFAULT_CORPUS)
        return cls(
            parts.documents,
            parts.passages,
            parts.search,
            SynonymTable(parts.synonyms),
            parts.corpus,
            parts.removed_duplicates,
        )

    def save(self, out: Path | str) -> None:
        """Save this engine's index for fast start-up (no pickle: arrays and JSON only)."""
        parts = IndexParts(
            documents=self.documents,
            passages=self.passages,
            search=self.search,
            synonyms=self.synonyms.groups(),
            corpus=self.corpus,
            removed_duplicates=self.removed_duplicates,
        )
        save_index(parts, Path(out))

    # -- answering ----------------------------------------------------------------------

    def ask(self, question: str, top_k: int = 3) -> Answer:
        """The top_k most relevant passages, or answered=False. Raises QuestionError on bad input."""
        text = clean_question(question)
        concepts = self.synonyms.concepts(text)
        if not concepts:
            return Answer(question=text, answered=False)
        ranked = self.search.top(concepts, CANDIDATES)
        # Coordination (Lucene's classic coord factor, idf-weighted): a passage's score is
        # scaled by the share of the question it covers, so one that answers all of the
        # question beats one that repeats its most common words.
        matches = {i: self.match(concepts, i) for i, _ in ranked}
        ranked = sorted(((i, s * matches[i][0]) for i, s in ranked), key=lambda item: (-item[1], item[0]))
        if not ranked or not answerable(*matches[ranked[0][0]], len(concepts)):
            return Answer(question=text, answered=False)
        # Every further passage must cover as much of the question as the gate asks of the
        # best one: a weaker hit that matches one common word is noise, not a second opinion.
        ranked = ranked[:1] + [(i, s) for i, s in ranked[1:] if matches[i][0] >= MIN_COVERAGE]
        chosen = select_diverse(ranked, [self.passages[i].doc_id for i, _ in ranked], top_k)
        return Answer(question=text, answered=True, hits=tuple(self._hit(i, s) for i, s in chosen))

    def match(self, concepts: Sequence[Concept], passage: int) -> tuple[float, int]:
        """(coverage, concepts held): the idf-weighted share (0..1) of the question's
        concepts that the passage holds, and how many of them it holds."""
        index = self.search.passages
        total = held = 0.0
        count = 0
        for concept in concepts:
            weight = sum(index.term_idf(t) for t in concept.terms)
            total += weight
            options = (concept.terms, *concept.alternatives)
            if any(all(index.contains(t, passage) for t in option) for option in options):
                held += weight
                count += 1
        return (held / total if total else 0.0), count

    def overview(self) -> list[OverviewItem]:
        """How the MLE and SWE roles differ, one passage per aspect (for /mle-vs-swe with no text)."""
        items: list[OverviewItem] = []
        shown: set[str] = set()
        for aspect, query in OVERVIEW_ASPECTS:
            for i, score in self.search.top(self.synonyms.concepts(query), 5):
                if self.passages[i].id not in shown:
                    shown.add(self.passages[i].id)
                    items.append(OverviewItem(aspect=aspect, hit=self._hit(i, score)))
                    break
        return items

    def example_questions(self) -> tuple[str, ...]:
        return EXAMPLE_QUESTIONS

    def document(self, doc_id: str) -> Document:
        return self.documents[self._document_position[doc_id]]

    def _hit(self, passage_number: int, score: float) -> Hit:
        passage = self.passages[passage_number]
        doc = self.document(passage.doc_id)
        return Hit(
            passage_id=passage.id,
            doc_id=doc.id,
            text=passage.text,
            score=round(score, 6),
            title=doc.title,
            url=doc.url,
            authors=doc.authors,
            site=doc.site,
            section=passage.section,
        )


def answerable(coverage: float, held: int, concepts: int) -> bool:
    """The no-answer gate's rule (see MIN_COVERAGE)."""
    return coverage >= MIN_COVERAGE and held >= min(MIN_CONCEPTS, concepts)


def select_diverse(
    ranked: Sequence[tuple[int, float]], doc_ids: Sequence[str], top_k: int
) -> list[tuple[int, float]]:
    """Pick up to top_k of `ranked` (best first): prefer new documents when scores are close,
    drop hits far below the best. Pure, so the policy is easy to test."""
    if not ranked:
        return []
    best = ranked[0][1]
    pool = [(i, s, d) for (i, s), d in zip(ranked, doc_ids, strict=True) if s >= MIN_RELATIVE_SCORE * best]
    chosen: list[tuple[int, float]] = []
    used_docs: set[str] = set()
    while pool and len(chosen) < top_k:
        pick = max(
            pool,
            key=lambda item: item[1] * (SAME_DOCUMENT_PENALTY if item[2] in used_docs else 1.0),
        )
        pool.remove(pick)
        chosen.append((pick[0], pick[1]))
        used_docs.add(pick[2])
    return chosen


def index_tokens(
    documents: Sequence[Document], split: Sequence[Sequence[Passage]], kept: Sequence[Passage]
) -> tuple[list[list[str]], list[list[str]], list[int]]:
    """(passage tokens, document tokens, document number of each passage) for indexing.

    A passage is indexed with its section heading as context; a document with its title,
    its headings and all of its passages (duplicates too: they are part of the article).
    Each text is analyzed once.
    """
    text_tokens: dict[str, list[str]] = {}
    heading_tokens: dict[str | None, list[str]] = {None: []}
    document_tokens: list[list[str]] = []
    for doc, passages in zip(documents, split, strict=True):
        tokens = tokenize(doc.title)
        for passage in passages:
            if passage.section not in heading_tokens:
                heading_tokens[passage.section] = tokenize(passage.section or "")
            text_tokens[passage.id] = tokenize(passage.text)
            tokens.extend(text_tokens[passage.id])
        for section in dict.fromkeys(p.section for p in passages):
            tokens.extend(heading_tokens[section])
        document_tokens.append(tokens)
    number = {d.id: n for n, d in enumerate(documents)}
    passage_tokens = [heading_tokens[p.section] + text_tokens[p.id] for p in kept]
    return passage_tokens, document_tokens, [number[p.doc_id] for p in kept]
