"""The answer engine: question in, Answer out. Built once at start-up, shared read-only."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval import english
from retrieval.analyzer import stem, tokenize, word_form
from retrieval.build import BuildTimes, Progress, build_index
from retrieval.chat import ChatRules, default_rules
from retrieval.corpus import DEFAULT_CORPUS, CorpusStamp, corpus_stamp, default_synonyms_file
from retrieval.documents import load_synonyms, naming_text
from retrieval.gate import GateFigures, judge, judged_position
from retrieval.models import (
    Answer,
    ConceptExplanation,
    Document,
    Explanation,
    Hit,
    OverviewItem,
    PartExplanation,
    Passage,
)
from retrieval.parts import split_parts
from retrieval.profile import CorpusProfile, load_profile
from retrieval.question import clean_question
from retrieval.search import PassageSearch
from retrieval.spelling import Speller
from retrieval.storage import IndexParts, load_index, save_index
from retrieval.synonyms import Concept, SynonymTable
from retrieval.understanding import QueryAnalysis, analyze

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

# The no-answer gate lives in retrieval.gate. After it, a further hit must hold at least
# this share of the information the best hit holds: a passage that shares one incidental
# word with the question is noise, not a second opinion. The former relative-score cut
# and the gate's rule applied to every hit cost hits the ranking had right; measured with
# `careerbot eval` (dev set hit@3 0.90 with a floor of 0.4 or 0.5, 0.95 with 0.25 or none),
# this low floor alone keeps them.
MIN_FURTHER_SHARE = 0.25
# When two candidates are close, one from a document not yet shown wins: a repeat
# document's score is multiplied by this before choosing.
SAME_DOCUMENT_PENALTY = 0.85
CANDIDATES = 30
# The gate judges the passages an asker is shown: of the first GATE_DEPTH (the bot shows 3),
# the one holding the most of the question's information. Judging rank 1 alone refused
# questions whose best-scored passage matches the commonest words while the second holds
# the question (chat set answered 0.89 -> 0.93, our chat-style set 0.88 -> 1.00, with the
# same abstain rates and rankings; `careerbot eval`).
GATE_DEPTH = 3
# The words the speller knows, as the analyzer reads them (word_form): letters of any
# script, accents folded ("café" is "cafe"), inner apostrophes dropped ("o'reilly" is
# "oreilly"). Before, only runs of a-z counted, so a corpus's own "café" was "corrected"
# to "caf" and "zürich" to "zurich".
# (\w, then letters only checked on the distinct words: twice as fast as a letters-only
# class; words of three or more characters, or with an apostrophe, are all it needs.)
_WORDS = re.compile(r"\w\w\w+(?:['’]\w+)*|\w\w?['’]\w+(?:['’]\w+)*")


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
        profile: CorpusProfile | None = None,
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
        self.chat_rules: ChatRules = default_rules()
        self.profile: CorpusProfile = profile or CorpusProfile()
        self._speller: Speller | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The bot's names, removed from questions ("@careerbot, what ...")."""
        return (self.profile.name,)

    @property
    def no_answer_text(self) -> str:
        """The corpus's own sentence for "nothing relevant" (careerbot.yaml)."""
        return self.profile.no_answer

    @property
    def description(self) -> str:
        """What the bot answers from, for the Home tab and welcomes (careerbot.yaml)."""
        return self.profile.description

    def warm(self) -> None:
        """Load what the first question would otherwise wait for (the English list, the speller,
        the compiled search loops of a large index)."""
        english.warm()
        self.speller.warm()
        self.search.passages.warm()

    @property
    def speller(self) -> Speller:
        """Spelling correction towards this corpus's words (built on first use, or by warm())."""
        if self._speller is None:
            index = self.search.passages

            def frequency(word: str) -> int:
                tid = index.vocabulary.get(stem(word))
                return 0 if tid is None else int(index.indptr[tid + 1] - index.indptr[tid])

            # One regex pass over all the text (C speed): the speller only needs which
            # lower-case words occur; how common each is comes from the index.
            names = (naming_text(d.title, d.authors, d.site) for d in self.documents)
            text = "\n".join((*names, *(p.text for p in self.passages)))
            # Case kept until word_form, which singularises "MLEs" as the index does.
            found = set(_WORDS.findall(text))  # distinct first: the clean-up below is Python
            plain = set(map(word_form, found))
            words = {w for w in plain if len(w) >= 3 and w.isalpha()}
            self._speller = Speller(words, frequency)
        return self._speller

    def analyze(self, question: str) -> QueryAnalysis:
        """The question's cleaned text, corrections and weighted concepts (see retrieval.understanding)."""
        return self._analyze(clean_question(question))

    def _analyze(self, text: str) -> QueryAnalysis:
        """analyze() for text clean_question() has already checked (ask() cleans once)."""
        index = self.search.passages
        vocabulary = index.vocabulary
        title_only = self.search.title_only

        def idf(term: str) -> float | None:
            # A word only a title (or the authors, the site) uses is a corpus word too, as
            # rare as a word of one passage (term_idf of a term no passage has); see
            # retrieval.search.
            return index.term_idf(term) if term in vocabulary or title_only(term) else None

        return analyze(
            text,
            self.chat_rules,
            self.synonyms,
            self.speller,
            idf,
            names=self.names,
        )

    @classmethod
    def from_corpus(
        cls,
        path: Path | str | None = None,
        synonyms_path: Path | str | None = None,
        progress: Progress | None = None,
        times: BuildTimes | None = None,
        jobs: int | None = None,
    ) -> Engine:
        """Load, validate, split and index a corpus (default: the bundled corpus/).

        Built in batches (retrieval.build): the same passages and scores as the plain
        pipeline (split_document, deduplicate, index_tokens), in a fraction of the time
        and memory; `jobs` worker processes for a large JSONL corpus (the same output;
        None: as many as the machine has, bounded).
        `progress` and `times` report on the stages (see build_index)."""
        path = Path(path) if path is not None else DEFAULT_CORPUS
        profile = load_profile(path)
        stamp = corpus_stamp(path)  # first: it reads the files whole, before the build's peak
        built = build_index(path, progress, times, jobs)
        synonyms_file = Path(synonyms_path) if synonyms_path else default_synonyms_file(path)
        if synonyms_file is None and profile.synonyms == "bundled":
            synonyms_file = DEFAULT_CORPUS / "synonyms.txt"
        groups = load_synonyms(synonyms_file) if synonyms_file else []
        return cls(
            built.documents,
            built.passages,
            built.search,
            SynonymTable(groups),
            stamp,
            built.removed_duplicates,
            profile=profile,
        )

    @classmethod
    def load(cls, index_file: Path | str, corpus_path: Path | str | None = None) -> Engine:
        """Load a saved index (see retrieval.storage); refuses one built from another corpus."""
        corpus = Path(corpus_path) if corpus_path else DEFAULT_CORPUS
        parts = load_index(Path(index_file), corpus)
        return cls(
            parts.documents,
            parts.passages,
            parts.search,
            SynonymTable(parts.synonyms),
            parts.corpus,
            parts.removed_duplicates,
            profile=load_profile(corpus),
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

    def ask(self, question: str, top_k: int = 3, explain: bool = False) -> Answer:
        """The top_k most relevant passages, or answered=False. Raises QuestionError on bad input.

        A question of several parts ("1) ... 2) ...", "...? ...?") is answered part by
        part: the best passage of each answerable part comes first, then the rest of the
        whole question's ranking. With explain=True the Answer carries the analysis.
        """
        text = clean_question(question)
        whole, judged = self._judge_all(text, max(CANDIDATES, 2 * top_k))
        answered_parts = [j for j in judged if j.gate.answerable]
        rankings = [j.ranked for j in answered_parts]
        if whole.gate.answerable:
            rankings.append(whole.ranked)
        explanation = (
            Explanation(whole=whole.explain(), parts=tuple(j.explain() for j in judged)) if explain else None
        )
        if not rankings:
            return self._no_answer(text, explanation)
        chosen = self._merge(rankings, top_k)
        return Answer(
            question=text,
            answered=True,
            hits=tuple(self._hit(i, s) for i, s in chosen),
            explanation=explanation,
        )

    def gate_figures(self, question: str) -> list[GateFigures]:
        """The gate's figures for the whole question, then for each part of a multi-part
        one (the question is answered when any of them passes; see bench/gate.py)."""
        whole, judged = self._judge_all(clean_question(question))
        return [whole.gate, *(j.gate for j in judged)]

    def _judge_all(self, text: str, pool: int = CANDIDATES) -> tuple[Judged, list[Judged]]:
        """The whole question judged, and each of its parts when it has several (else none)."""
        parts = split_parts(text)
        return self._judge(text, pool), [self._judge(p, pool) for p in parts] if len(parts) > 1 else []

    def _no_answer(self, text: str, explanation: Explanation | None = None) -> Answer:
        return Answer(
            question=text,
            answered=False,
            explanation=explanation,
            no_answer=self.profile.no_answer,
            examples=self.profile.examples,
        )

    def _judge(self, text: str, pool: int = CANDIDATES) -> Judged:
        """Analyze, rank and gate one question (or one part of it), among `pool` candidates."""
        analysis = self._analyze(text)
        known = [c for c in analysis.concepts if c.kind == "corpus"]
        if not known:
            return Judged(analysis=analysis, ranked=[], gate=judge(0, 0, analysis.absent_weight, 0, 0))
        concepts = [c.concept for c in known]
        information = [c.weight for c in known]
        idfs = [sum(self.search.passages.term_idf(t) for t in c.concept.terms) for c in known]
        candidates = self.search.top(concepts, pool)
        # Coordination (Lucene's classic coord factor, idf-weighted): a passage's score is
        # scaled by the share of the question it holds, so one that answers all of the
        # question beats one that repeats its most common words. Ranking tells passages of
        # this corpus apart, so it weighs by the corpus idf; the gate by information.
        numbers = np.fromiter((i for i, _ in candidates), dtype=np.int64, count=len(candidates))
        mask = self._holds(concepts, numbers)  # concepts x candidates
        held_information = np.asarray(information) @ mask
        held_count = mask.sum(axis=0)
        coord = (np.asarray(idfs) @ mask) / (sum(idfs) or 1.0)
        ranked = sorted(
            ((i, s * float(coord[n])) for n, (i, s) in enumerate(candidates)),
            key=lambda item: (-item[1], item[0]),
        )
        if not ranked:
            return Judged(
                analysis=analysis,
                ranked=[],
                gate=judge(0, analysis.known_weight, analysis.absent_weight, 0, len(known)),
            )
        column = {i: n for n, (i, _) in enumerate(candidates)}
        shown = [column[i] for i, _ in ranked[:GATE_DEPTH]]
        best = shown[judged_position([float(held_information[c]) for c in shown], GATE_DEPTH)]
        gate = judge(
            float(held_information[best]),
            analysis.known_weight,
            analysis.absent_weight,
            int(held_count[best]),
            len(known),
        )
        floor = MIN_FURTHER_SHARE * held_information[best]
        ranked = ranked[:1] + [(i, s) for i, s in ranked[1:] if held_information[column[i]] >= floor]
        return Judged(analysis=analysis, ranked=ranked, gate=gate)

    def _merge(self, rankings: Sequence[Sequence[tuple[int, float]]], top_k: int) -> list[tuple[int, float]]:
        """Hits from several rankings (each part's, then the whole question's): the best of
        each first, then the last ranking's rest, by select_diverse; no passage twice."""
        chosen: list[tuple[int, float]] = []
        seen: set[int] = set()
        for ranking in rankings[:-1]:
            if ranking and ranking[0][0] not in seen and len(chosen) < top_k:
                chosen.append(ranking[0])
                seen.add(ranking[0][0])
        rest = [(i, s) for ranking in rankings[-1:] for i, s in ranking if i not in seen]
        rest += [(i, s) for ranking in rankings[:-1] for i, s in ranking[1:] if i not in seen]
        rest = list({i: (i, s) for i, s in reversed(rest)}.values())[::-1]
        # Document numbers, not Passage objects: a saved index builds those on read.
        owner = self.search.owner
        chosen += select_diverse(rest, [str(owner[i]) for i, _ in rest], top_k - len(chosen))
        return chosen

    def _holds(self, concepts: Sequence[Concept], passages: np.ndarray) -> np.ndarray:
        """Boolean matrix: concept c is held by passage p (one of its phrasings all there).
        One sorted search per term for all passages at once, not one per pair."""
        search = self.search
        out = np.zeros((len(concepts), passages.shape[0]), dtype=bool)
        for row, concept in enumerate(concepts):
            for option in (concept.terms, *concept.alternatives):
                has = np.ones(passages.shape[0], dtype=bool)
                for term in option:
                    if search.title_only(term):
                        has &= search.title_holds(term, passages)
                    else:
                        has &= search.passages.contains_many(term, passages)
                out[row] |= has
        return out

    def overview(self) -> list[OverviewItem]:
        """How the MLE and SWE roles differ, one passage per aspect (for /mle-vs-swe with no text)."""
        items: list[OverviewItem] = []
        shown: set[str] = set()
        for row in self.profile.overview:
            aspect, query = row.aspect, row.query
            for i, score in self.search.top(self.synonyms.concepts(query), 5):
                if self.passages[i].id not in shown:
                    shown.add(self.passages[i].id)
                    items.append(OverviewItem(aspect=aspect, hit=self._hit(i, score)))
                    break
        return items

    def example_questions(self) -> tuple[str, ...]:
        """Questions to offer (careerbot.yaml's examples; the bundled corpus's career ones)."""
        return self.profile.examples

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


@dataclass(frozen=True)
class Judged:
    """One question (or part) analyzed, ranked and gated."""

    analysis: QueryAnalysis
    ranked: list[tuple[int, float]]
    gate: GateFigures

    def explain(self) -> PartExplanation:
        a = self.analysis
        return PartExplanation(
            text=a.question,
            cleaned=a.cleaned,
            removed=a.removed,
            rewritten=a.rewritten,
            corrections=a.corrections,
            concepts=tuple(
                ConceptExplanation(
                    label=c.label, kind=c.kind, weight=round(c.weight, 3), idf=c.idf and round(c.idf, 3)
                )
                for c in a.concepts
            ),
            gate=self.gate,
        )


def select_diverse(
    ranked: Sequence[tuple[int, float]], doc_ids: Sequence[str], top_k: int
) -> list[tuple[int, float]]:
    """Pick up to top_k of `ranked` (best first), preferring new documents when scores are
    close. Pure, so the policy is easy to test."""
    pool = [(i, s, d) for (i, s), d in zip(ranked, doc_ids, strict=True)]
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
    authors and site, its headings and all of its passages (duplicates too: they are part
    of the article).
    Each text is analyzed once.
    """
    text_tokens: dict[str, list[str]] = {}
    heading_tokens: dict[str | None, list[str]] = {None: []}
    document_tokens: list[list[str]] = []
    for doc, passages in zip(documents, split, strict=True):
        tokens = tokenize(naming_text(doc.title, doc.authors, doc.site))
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
