"""Saving and loading a built engine (`careerbot index build --out FILE`).

The file is a NumPy .npz archive holding only numeric arrays and UTF-8 JSON bytes; it is
read with allow_pickle=False, so loading never executes code from the file. The JSON
header records the format and analyzer versions (a stale file is refused) and the
fingerprint of the corpus it was built from (a file built from another corpus is refused).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, overload

import numpy as np

from retrieval.errors import IndexFileError
from retrieval.index import FORMAT_VERSION, BM25Index
from retrieval.models import Document, Passage
from retrieval.search import PassageSearch
from retrieval.synonyms import SynonymTable

if TYPE_CHECKING:
    from retrieval.engine import Engine

# Bump when tokenize(), passage splitting or the saved layout changes: old files are stale.
ANALYZER_VERSION = 3
MAGIC = "careerbot-index"


class LazyPassages(Sequence[Passage]):
    """Passages kept as arrays (one UTF-8 blob with offsets); a Passage is built when read.

    A server reads a handful of passages per answer, so loading 100k passages as objects
    up front would cost start-up time for nothing.
    """

    def __init__(
        self,
        blob: bytes,
        offsets: np.ndarray,
        owner: np.ndarray,
        numbers: np.ndarray,
        section_index: np.ndarray,
        sections: list[str],
        doc_ids: list[str],
    ) -> None:
        self._blob, self._offsets, self._owner, self._numbers = blob, offsets, owner, numbers
        self._section_index, self._sections, self._doc_ids = section_index, sections, doc_ids

    def __len__(self) -> int:
        return len(self._numbers)

    @overload
    def __getitem__(self, i: int) -> Passage: ...
    @overload
    def __getitem__(self, i: slice) -> list[Passage]: ...
    def __getitem__(self, i: int | slice) -> Passage | list[Passage]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        doc_id = self._doc_ids[int(self._owner[i])]
        section = int(self._section_index[i])
        text = self._blob[int(self._offsets[i]) : int(self._offsets[i + 1])].decode("utf-8")
        return Passage.model_construct(
            id=f"{doc_id}#{int(self._numbers[i])}",
            doc_id=doc_id,
            section=self._sections[section] if section >= 0 else None,
            text=text,
        )


class LazyDocuments(Sequence[Document]):
    """Documents kept as their saved rows; a Document is built when read."""

    def __init__(self, rows: list[list[Any]]) -> None:
        self._rows = rows
        self.ids = [str(row[0]) for row in rows]

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> Document: ...
    @overload
    def __getitem__(self, i: slice) -> list[Document]: ...
    def __getitem__(self, i: int | slice) -> Document | list[Document]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        doc_id, title, url, authors, site = self._rows[i]
        return Document.model_construct(
            id=doc_id, title=title, text="", url=url, authors=tuple(authors), site=site
        )


def save_engine(engine: Engine, out: Path) -> None:
    """Write the engine's documents, passages, synonyms and index to `out` (atomically)."""
    sections: dict[str, int] = {}
    texts: list[bytes] = []
    numbers = np.empty(len(engine.passages), dtype=np.int32)
    section_index = np.empty(len(engine.passages), dtype=np.int32)
    for n, passage in enumerate(engine.passages):
        texts.append(passage.text.encode("utf-8"))
        numbers[n] = int(passage.id.rsplit("#", 1)[1])
        section_index[n] = (
            -1 if passage.section is None else sections.setdefault(passage.section, len(sections))
        )
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=offsets[1:])
    meta = {
        "magic": MAGIC,
        "format": FORMAT_VERSION,
        "analyzer": ANALYZER_VERSION,
        "fingerprint": engine.fingerprint,
        "removed_duplicates": engine.removed_duplicates,
        "documents": [[d.id, d.title, d.url, list(d.authors), d.site] for d in engine.documents],
        "sections": list(sections),
        "synonyms": engine.synonyms.groups(),
    }
    arrays = {f"passages_{k}": v for k, v in engine.search.passages.arrays().items()}
    arrays.update({f"documents_{k}": v for k, v in engine.search.documents.arrays().items()})
    arrays.update(
        owner=engine.search.owner,
        passage_numbers=numbers,
        passage_sections=section_index,
        passage_offsets=offsets,
        passage_texts=np.frombuffer(b"".join(texts), dtype=np.uint8),
        meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("wb") as fh:
        # cast: NumPy's stubs type savez's keywords as its own options (allow_pickle: bool).
        np.savez(fh, **cast(dict[str, Any], arrays))
    tmp.replace(out)


def load_engine(path: Path, corpus: Path) -> Engine:
    """Load a saved engine; IndexFileError when the file is damaged, stale or from another corpus."""
    from retrieval.engine import Engine, corpus_fingerprint

    if not path.is_file():
        raise IndexFileError(
            f"{path}: no such index file (build one with `careerbot index build --out {path}`)"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, UnicodeDecodeError) as exc:
        raise IndexFileError(
            f"{path}: not a careerbot index file or damaged ({exc.__class__.__name__})"
        ) from None
    if not isinstance(meta, dict) or meta.get("magic") != MAGIC:
        raise IndexFileError(f"{path}: not a careerbot index file")
    if meta.get("format") != FORMAT_VERSION or meta.get("analyzer") != ANALYZER_VERSION:
        raise IndexFileError(
            f"{path}: built by another version of careerbot (stale); rebuild it with `careerbot index build`"
        )
    if meta.get("fingerprint") != corpus_fingerprint(corpus):
        raise IndexFileError(
            f"{path}: built from a different corpus than {corpus}; rebuild it with `careerbot index build`"
        )
    try:
        owner = np.asarray(arrays["owner"], dtype=np.int32)
        search = PassageSearch(
            BM25Index.from_arrays(_prefixed(arrays, "passages_"), path),
            BM25Index.from_arrays(_prefixed(arrays, "documents_"), path),
            owner,
        )
        documents = LazyDocuments(meta["documents"])
        offsets = np.asarray(arrays["passage_offsets"], dtype=np.int64)
        blob = arrays["passage_texts"].tobytes()
        passages = LazyPassages(
            blob,
            offsets,
            owner,
            np.asarray(arrays["passage_numbers"], dtype=np.int32),
            np.asarray(arrays["passage_sections"], dtype=np.int32),
            [str(s) for s in meta["sections"]],
            documents.ids,
        )
        synonyms = SynonymTable(meta["synonyms"])
        consistent = (
            len(passages) == search.size == len(offsets) - 1
            and len(documents) == search.documents.size
            and offsets[-1] == len(blob)
            and (owner.size == 0 or (owner.min() >= 0 and owner.max() < len(documents)))
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexFileError(f"{path}: the index data is damaged ({exc.__class__.__name__})") from None
    if not consistent:
        raise IndexFileError(f"{path}: the index data is inconsistent (damaged file)")
    return Engine(
        documents, passages, search, synonyms, meta["fingerprint"], int(meta.get("removed_duplicates", 0))
    )


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {name[len(prefix) :]: value for name, value in arrays.items() if name.startswith(prefix)}
