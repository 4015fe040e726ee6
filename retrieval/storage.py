"""Saving and loading a built engine (`careerbot index build --out FILE`).

The file is a NumPy .npz archive holding only numeric arrays and UTF-8 JSON bytes; it is
read with allow_pickle=False, so loading never executes code from the file. The JSON
header records the format and analyzer versions (a stale file is refused) and the
fingerprint of the corpus it was built from (a file built from another corpus is refused).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retrieval.errors import IndexFileError
from retrieval.index import FORMAT_VERSION, BM25Index
from retrieval.models import Document, Passage
from retrieval.search import PassageSearch
from retrieval.synonyms import SynonymTable

if TYPE_CHECKING:
    from retrieval.engine import Engine

# Bump when tokenize(), passage splitting or the saved layout changes: old files are stale.
ANALYZER_VERSION = 1
MAGIC = "careerbot-index"


def save_engine(engine: Engine, out: Path) -> None:
    """Write the engine's documents, passages, synonyms and index to `out` (atomically)."""
    meta = {
        "magic": MAGIC,
        "format": FORMAT_VERSION,
        "analyzer": ANALYZER_VERSION,
        "fingerprint": engine.fingerprint,
        "removed_duplicates": engine.removed_duplicates,
        "documents": [d.model_dump(mode="json") for d in engine.documents],
        "passages": [[p.id, p.doc_id, p.section, p.text] for p in engine.passages],
        "synonyms": engine.synonyms.groups(),
    }
    arrays = {f"passages_{k}": v for k, v in engine.search.passages.arrays().items()}
    arrays.update({f"documents_{k}": v for k, v in engine.search.documents.arrays().items()})
    arrays["owner"] = engine.search.owner
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("wb") as fh:
        np.savez(fh, **arrays)
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
        meta = json.loads(bytes(arrays.pop("meta")).decode())
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
        search = PassageSearch(
            BM25Index.from_arrays(_prefixed(arrays, "passages_"), path),
            BM25Index.from_arrays(_prefixed(arrays, "documents_"), path),
            np.asarray(arrays["owner"], dtype=np.int32),
        )
    except (KeyError, ValueError) as exc:
        raise IndexFileError(f"{path}: the index data is damaged ({exc})") from None
    try:
        documents = [Document.model_validate(d) for d in meta["documents"]]
        passages = [
            Passage.model_construct(id=pid, doc_id=doc_id, section=section, text=text)
            for pid, doc_id, section, text in meta["passages"]
        ]
        synonyms = SynonymTable(meta["synonyms"])
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexFileError(f"{path}: the index metadata is damaged ({exc.__class__.__name__})") from None
    if len(passages) != search.size or len(documents) != search.documents.size:
        raise IndexFileError(f"{path}: the index metadata is inconsistent (damaged file)")
    return Engine(
        documents, passages, search, synonyms, meta["fingerprint"], int(meta.get("removed_duplicates", 0))
    )


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {name[len(prefix) :]: value for name, value in arrays.items() if name.startswith(prefix)}
