"""Building an engine's index from raw text in batches: fast, and small in memory.

The stages are those of the plain pipeline (split_document, deduplicate, index_tokens,
PassageSearch.build in retrieval.engine), with the same output passage for passage and
score for score (tests/retrieval/test_build.py), but run a batch of documents at a time
on arrays rather than objects:

- documents are read one at a time (a JSONL file line by line) as DocumentRecord
  tuples, and kept only as the rows a hit shows (storage.DocumentRows: id, title, url,
  authors, site); their text is dropped once split;
- passages go straight into one UTF-8 blob with offsets (TextBlob, then
  storage.LazyPassages), never into Passage objects;
- analysis cuts a batch's text into pieces in numpy and analyzes each distinct piece
  once (analyzer.TermTable); the same pass gives the near-duplicate word hashes
  (passages.piece_words); each batch is reduced to compact postings at once
  (index.IndexBuilder), so the whole corpus never exists as a token list;
- near-duplicates are found from per-passage sketches (passages.sketch_pieces and
  removed_duplicates) after the last batch, and their postings dropped when the passage
  index is laid out;
- memory freed between steps is given back to the system (memory.release_free_memory),
  so the peak is the data's, not the temporaries'.

At a million passages most of the peak is what the engine keeps: the texts and the two
indexes (bench.startup --build-sizes measures it).
"""

from __future__ import annotations

import mmap
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.analyzer import TermTable
from retrieval.documents import (
    DocumentRecord,
    duplicate_id_error,
    iter_records,
    jsonl_line_record,
    jsonl_lines,
    naming_text,
)
from retrieval.errors import CorpusError
from retrieval.index import IndexBuilder, ReducedChunk, reduce_chunks
from retrieval.memory import release_free_memory
from retrieval.passages import Sketches, piece_words, removed_duplicates, sketch_pieces, split_text
from retrieval.search import PassageSearch
from retrieval.storage import DocumentRows, LazyDocuments, LazyPassages

BATCH_PASSAGES = 16_384  # passages per batch: bounded temporaries (~200 MB), under IndexBuilder's chunk
PARALLEL_BYTES = 16_000_000  # a smaller corpus builds in well under a second: no workers
MAX_JOBS = 8


def default_jobs() -> int:
    """The cores this process may use, bounded (workers beyond that only add copies)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_JOBS))


Progress = Callable[[str, int], None]


@dataclass
class BuildTimes:
    """Seconds spent in each stage (for `careerbot index build --verbose`)."""

    seconds: dict[str, float] = field(default_factory=dict)
    ORDER = ("load", "split", "near-duplicates", "analyze", "index", "merge", "passages", "save")

    def ordered(self) -> list[tuple[str, float]]:
        """(stage, seconds) in pipeline order."""
        rank = {stage: n for n, stage in enumerate(self.ORDER)}
        return sorted(self.seconds.items(), key=lambda item: rank.get(item[0], len(rank)))

    def add(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - started
        return now


@dataclass
class Built:
    documents: LazyDocuments
    passages: LazyPassages
    search: PassageSearch
    removed_duplicates: int
    times: BuildTimes


def build_index(
    corpus: Path,
    progress: Progress | None = None,
    times: BuildTimes | None = None,
    jobs: int | None = None,
) -> Built:
    """Split, de-duplicate, analyze and index a corpus (see load_corpus for its forms).

    With jobs > 1, batches of a JSONL corpus are parsed, split, sketched, analyzed and
    reduced to postings in that many worker processes, and merged here in order: the
    same output, passage for passage, as one process (None: default_jobs(); a corpus
    under PARALLEL_BYTES is always built in-process). `progress(stage, count)` is
    called as documents are read ("documents"); `times` collects seconds per stage
    (worker stages summed over the workers)."""
    times = times if times is not None else BuildTimes()
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs > 1 and not (corpus.is_file() and corpus.stat().st_size >= PARALLEL_BYTES):
        jobs = 1
    # The passages' texts never exceed the corpus's bytes (whitespace only shrinks).
    state = _Merge(corpus.stat().st_size if corpus.is_file() else 1 << 20)
    read = 0
    for result in _results(corpus, jobs, times, state.table):
        started = time.perf_counter()
        state.merge(result, times)
        times.add("merge", started)
        read += len(result.ids)
        if progress is not None:
            progress("documents", read)
    return state.finish(times)


@dataclass
class BatchResult:
    """What one batch of documents contributes (computed in a worker, or in-process)."""

    ids: list[str]  # per document
    titles: bytes  # UTF-8, one after another (no string per title in the main process)
    title_lengths: np.ndarray
    extras: dict[int, tuple[Any, ...]]  # (url, authors, site) of the documents with one
    blob: bytes  # the passages' texts, UTF-8, one after another
    text_lengths: np.ndarray  # bytes per passage text
    passages_per_doc: np.ndarray
    headings: list[str | None]  # per passage
    sketches: Sketches
    # A worker's batch: the terms its table numbered since its last batch (its ids are the
    # worker table's numbers); None for the build's own table.
    terms: list[str] | None
    passage_chunks: list[ReducedChunk]
    document_chunks: list[ReducedChunk]
    seconds: dict[str, float]
    line_numbers: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # a worker's lines
    worker: int = 0  # the worker process that numbered `terms`


def process_batch(
    documents: list[DocumentRecord], table: TermTable, new_terms_from: int | None = None
) -> BatchResult:
    """Split, sketch, analyze and reduce a batch of documents. Pure apart from `table`.
    With `new_terms_from` (a worker's table), the result lists the table's terms from
    that number on: those its ids may use for the first time."""
    times = BuildTimes()
    started = time.perf_counter()
    split = [split_text(doc.text) for doc in documents]
    started = times.add("split", started)
    texts = [text for passages in split for _, text in passages]
    headings = [heading for passages in split for heading, _ in passages]
    (passage_ids, passage_lengths), (document_ids, document_lengths), words = _rows(
        table, documents, split, texts, headings
    )
    started = times.add("analyze", started)
    sketches = sketch_pieces(texts, *words)
    del words
    started = times.add("near-duplicates", started)
    terms = None if new_terms_from is None else table.terms[new_terms_from:]
    passage_chunks = reduce_chunks(passage_ids, passage_lengths)
    document_chunks = reduce_chunks(document_ids, document_lengths)
    started = times.add("index", started)
    encoded = [t.encode("utf-8") for t in texts]
    titles = [d.title.encode("utf-8") for d in documents]
    result = BatchResult(
        ids=[d.id for d in documents],
        titles=b"".join(titles),
        title_lengths=np.fromiter(map(len, titles), dtype=np.int64, count=len(titles)),
        extras={
            n: (d.url, d.authors, d.site) for n, d in enumerate(documents) if d.url or d.authors or d.site
        },
        blob=b"".join(encoded),
        text_lengths=np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)),
        passages_per_doc=np.fromiter(map(len, split), dtype=np.int64, count=len(split)),
        headings=headings,
        sketches=sketches,
        terms=terms,
        passage_chunks=passage_chunks,
        document_chunks=document_chunks,
        seconds=times.seconds,
    )
    times.add("passages", started)
    return result


class TextBlob:
    """Bytes appended one after another in an anonymous private memory map of a given
    capacity (grown, by copying, only if it is exceeded): only the pages written are
    resident, where a bytearray grown to the same size over-allocates by up to an eighth
    (55 MB for the texts of a million passages). Without mmap's flags (Windows), a
    bytearray."""

    def __init__(self, capacity: int) -> None:
        self._map: mmap.mmap | bytearray = _anonymous_map(capacity)
        self.size = 0

    def extend(self, data: bytes | memoryview) -> None:
        end = self.size + len(data)
        if isinstance(self._map, bytearray):
            self._map.extend(data)
        elif end > len(self._map):
            bigger = _anonymous_map(max(end, 2 * len(self._map)))
            bigger[: self.size] = self._map[: self.size]
            self._map.close()
            self._map = bigger
        if not isinstance(self._map, bytearray):
            self._map[self.size : end] = data
        self.size = end

    def view(self) -> memoryview:
        """The bytes written (read in place; the map lives as long as a view does)."""
        return memoryview(self._map)[: self.size]


def _anonymous_map(size: int) -> mmap.mmap | bytearray:
    if not hasattr(mmap, "MAP_PRIVATE"):
        return bytearray()
    return mmap.mmap(-1, max(size, mmap.PAGESIZE), flags=mmap.MAP_PRIVATE)


class _Merge:
    """The build's state in the main process: batches are merged in corpus order."""

    def __init__(self, capacity: int) -> None:
        self.table = TermTable(piece_words)
        self.term_numbers: dict[str, int] = {}  # for batches with their own numbering
        # Results come in the order batches were sent, so each worker's in its own order.
        self.worker_terms: dict[int, np.ndarray] = {}
        self.passage_index, self.document_index = IndexBuilder(), IndexBuilder()
        self.rows = DocumentRows()
        self.blob = TextBlob(capacity)
        self.offsets: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self.owners: list[np.ndarray] = []
        self.numbers: list[np.ndarray] = []
        self.section_of: list[np.ndarray] = []
        self.sections: dict[str, int] = {}
        self.sketches: list[Sketches] = []

    def merge(self, result: BatchResult, times: BuildTimes) -> None:
        for stage, seconds in result.seconds.items():
            times.seconds[stage] = times.seconds.get(stage, 0.0) + seconds
        term_map = None
        if result.terms is not None:  # a worker's numbers of terms -> the build's
            numbers = self.term_numbers
            new = np.fromiter(
                (numbers.setdefault(t, len(numbers)) for t in result.terms),
                dtype=np.int64,
                count=len(result.terms),
            )
            known = self.worker_terms.get(result.worker, np.empty(0, dtype=np.int64))
            term_map = self.worker_terms[result.worker] = np.concatenate((known, new))
        release_free_memory()  # the batch's temporaries are gone: keep the resident size near the data
        for chunk in result.passage_chunks:
            self.passage_index.add_reduced(chunk, term_map)
        for chunk in result.document_chunks:
            self.document_index.add_reduced(chunk, term_map)
        first_doc = len(self.rows)
        self.rows.extend(result.ids, result.titles, result.title_lengths, result.extras)
        self.blob.extend(result.blob)
        self.offsets.append(self.offsets[-1][-1] + np.cumsum(result.text_lengths))
        counts = result.passages_per_doc
        self.owners.append(np.repeat(np.arange(first_doc, len(self.rows), dtype=np.int32), counts))
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        self.numbers.append((np.arange(int(counts.sum())) - starts).astype(np.int32))
        sections = self.sections
        self.section_of.append(
            np.array(
                [-1 if h is None else sections.setdefault(h, len(sections)) for h in result.headings],
                dtype=np.int32,
            )
        )
        self.sketches.append(result.sketches)

    def finish(self, times: BuildTimes) -> Built:
        started = time.perf_counter()
        offsets = np.concatenate(self.offsets)
        self.offsets = []
        blob = self.blob.view()  # read in place (a copy would double the largest array)

        def text_of(i: int) -> str:
            return str(blob[offsets[i] : offsets[i + 1]], "utf-8")

        if not self.rows:
            raise ValueError("cannot index an empty corpus")
        sketches = Sketches.concatenate(self.sketches, consume=True)
        release_free_memory()  # the batches' sketches, copied
        removed = removed_duplicates(sketches, text_of)
        del sketches
        keep = ~removed
        started = times.add("near-duplicates", started)
        terms = self.table.terms if not self.term_numbers else list(self.term_numbers)
        # The memos are not needed any more; at 1M passages they hold ~1M pieces and terms.
        self.table.release()
        self.term_numbers.clear()
        self.worker_terms.clear()
        release_free_memory()
        owner = np.concatenate(self.owners)
        passage_index = self.passage_index.finish(terms, keep=keep)
        release_free_memory()
        search = PassageSearch(passage_index, self.document_index.finish(terms), owner[keep])
        release_free_memory()
        started = times.add("index", started)
        kept_offsets = offsets
        if removed.any():
            kept = np.flatnonzero(keep)
            starts, ends = offsets[kept], offsets[kept + 1]
            kept_blob = TextBlob(int((ends - starts).sum()))
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
                kept_blob.extend(blob[s:e])
            blob = kept_blob.view()
            kept_offsets = np.zeros(kept.shape[0] + 1, dtype=np.int64)
            np.cumsum(ends - starts, out=kept_offsets[1:])
        documents = LazyDocuments(self.rows)
        passages = LazyPassages(
            blob,
            kept_offsets,
            owner[keep],
            np.concatenate(self.numbers)[keep],
            np.concatenate(self.section_of)[keep],
            list(self.sections),
            documents.ids,
        )
        times.add("passages", started)
        return Built(documents, passages, search, int(removed.sum()), times)


def _results(corpus: Path, jobs: int, times: BuildTimes, table: TermTable) -> Iterator[BatchResult]:
    """Each batch's result, in corpus order; in worker processes for a large JSONL file."""
    jsonl = corpus.is_file() and corpus.suffix.lower() == ".jsonl"
    if jobs <= 1 or not jsonl:
        # iter_records checks ids and emptiness itself.
        started = time.perf_counter()
        for batch in _batches(iter_records(corpus)):
            times.add("load", started)
            yield process_batch(batch, table)
            started = time.perf_counter()
        return
    seen: set[str] = set()  # as iter_records: no line number kept per document

    def checked(result: BatchResult) -> BatchResult:
        before = len(seen)
        seen.update(result.ids)
        if len(seen) != before + len(result.ids):  # a repeat, in this batch or with an earlier one
            kept = seen.difference(result.ids)
            for doc_id, number in zip(result.ids, result.line_numbers.tolist(), strict=True):
                if doc_id in kept:
                    raise duplicate_id_error(corpus, number, doc_id)
                kept.add(doc_id)
        return result

    import multiprocessing  # here: a server building a small corpus never pays for it
    from concurrent.futures import Future, ProcessPoolExecutor

    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    )
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending: deque[Future[BatchResult]] = deque()
        for lines in _line_batches(corpus):
            pending.append(pool.submit(_worker, corpus, lines))
            if len(pending) > 2 * jobs:  # a bounded window: the corpus is never all in flight
                yield checked(pending.popleft().result())
        while pending:
            yield checked(pending.popleft().result())
    if not seen:
        raise CorpusError(f"{corpus}: the corpus is empty (no .md, .txt or JSONL documents)")


_WORKER_TABLE: TermTable | None = None
_WORKER_SENT = 0  # how many of the worker table's terms its results have listed


def _worker(corpus: Path, lines: list[tuple[int, int, bytes]]) -> BatchResult:
    global _WORKER_TABLE, _WORKER_SENT
    if _WORKER_TABLE is None:
        _WORKER_TABLE = TermTable(piece_words)
    started = time.perf_counter()
    documents = [d for d in (jsonl_line_record(corpus, *line) for line in lines) if d is not None]
    load = time.perf_counter() - started
    result = process_batch(documents, _WORKER_TABLE, new_terms_from=_WORKER_SENT)
    _WORKER_SENT = len(_WORKER_TABLE.terms)  # what the next result need not list again
    result.worker = os.getpid()
    result.seconds["load"] = result.seconds.get("load", 0.0) + load
    result.line_numbers = np.fromiter(
        (int(d.source.rsplit(":", 1)[1]) for d in documents), dtype=np.int64, count=len(documents)
    )
    return result


def _line_batches(corpus: Path) -> Iterator[list[tuple[int, int, bytes]]]:
    batch: list[tuple[int, int, bytes]] = []
    size = 0
    for line in jsonl_lines(corpus):
        batch.append(line)
        size += len(line[2]) // 600 + 1
        if size >= BATCH_PASSAGES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _batches(documents: Iterable[DocumentRecord]) -> Iterator[list[DocumentRecord]]:
    """Documents in batches of about BATCH_PASSAGES passages (estimated by text length)."""
    batch: list[DocumentRecord] = []
    size = 0
    for doc in documents:
        batch.append(doc)
        size += len(doc.text) // 600 + 1  # a passage holds up to ~110 words
        if size >= BATCH_PASSAGES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _rows(
    table: TermTable,
    batch: list[DocumentRecord],
    split: list[list[tuple[str | None, str]]],
    texts: list[str],
    headings: list[str | None],
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]:
    """((passage term ids, terms per passage), (document term ids, terms per document),
    (the texts' word hashes, words per text, which texts are ASCII) for sketch_pieces).

    Each text is analyzed once. As index_tokens(): a passage is its heading and its
    text; a document is its title, authors and site, all its passages (duplicates too) and
    each of its passages' headings once."""
    distinct = [h for h in dict.fromkeys(headings) if h is not None]
    units = [naming_text(d.title, d.authors, d.site) for d in batch] + texts + distinct
    ids, counts, words = table.analyze(units, words=True)
    n_docs, n_texts = len(batch), len(texts)
    # The texts' normalised word hashes, for their sketches (see passages.sketch_pieces).
    word_starts = np.concatenate(([0], np.cumsum(words.counts)))
    text_words = (
        words.values[word_starts[n_docs] : word_starts[n_docs + n_texts]],
        words.counts[n_docs : n_docs + n_texts],
        words.plain[n_docs : n_docs + n_texts],
    )
    starts = np.cumsum(counts) - counts
    heading_unit = {h: n_docs + n_texts + i for i, h in enumerate(distinct)}
    # Passage rows: [heading unit, text unit] (no heading unit for None).
    text_units = np.arange(n_docs, n_docs + n_texts)
    heading_units = np.array([heading_unit[h] if h is not None else -1 for h in headings], dtype=np.int64)
    has_heading = heading_units >= 0
    per_row = 1 + has_heading.astype(np.int64)
    passage_units = np.empty(int(per_row.sum()), dtype=np.int64)
    row_start = np.cumsum(per_row) - per_row
    passage_units[row_start[has_heading]] = heading_units[has_heading]
    passage_units[row_start + per_row - 1] = text_units
    # Document rows: [title, its passages' texts..., its distinct headings...].
    per_doc = np.fromiter(map(len, split), dtype=np.int64, count=n_docs)
    own_counts = np.zeros(n_docs, dtype=np.int64)
    own_units: list[int] = []
    if distinct:  # only documents with headings need a look at them
        for d in np.unique(np.repeat(np.arange(n_docs), per_doc)[has_heading]).tolist():
            own = [heading_unit[h] for h in dict.fromkeys(h for h, _ in split[d]) if h is not None]
            own_counts[d] = len(own)
            own_units.extend(own)
    units_per_doc = 1 + per_doc + own_counts
    doc_starts = np.cumsum(units_per_doc) - units_per_doc
    document_units = np.empty(int(units_per_doc.sum()), dtype=np.int64)
    document_units[doc_starts] = np.arange(n_docs)
    document_units[_ragged(doc_starts + 1, per_doc)] = text_units
    document_units[_ragged(doc_starts + 1 + per_doc, own_counts)] = own_units
    return (
        _gather(ids, starts, counts, passage_units, per_row),
        _gather(ids, starts, counts, document_units, units_per_doc),
        text_words,
    )


def _ragged(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Positions start, start + 1, ..., start + length - 1 of each (start, length), in order."""
    return np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))


def _gather(
    ids: np.ndarray, starts: np.ndarray, counts: np.ndarray, units: np.ndarray, units_per_row: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(term ids of rows made of units, one row after another; terms per row)."""
    lengths = counts[units]
    total = int(lengths.sum())
    position = np.repeat(starts[units] - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
    row_of_unit = np.repeat(np.arange(units_per_row.shape[0]), units_per_row)
    row_lengths = np.bincount(row_of_unit, weights=lengths, minlength=units_per_row.shape[0]).astype(np.int64)
    return ids[position], row_lengths
