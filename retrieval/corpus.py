"""Where a corpus lives and what identifies it.

- `DEFAULT_CORPUS`: the bundled documents. `corpus/` is installed as package data (the
  `corpus` package), so it is found through importlib.resources after any install, not
  only beside a source checkout.
- `default_synonyms_file()`: the `synonyms.txt` a corpus uses when none is given.
- `corpus_stamp()`: the fingerprint a saved index records. It covers exactly what an
  index is built from (the documents the loader reads and the corpus's own synonyms
  file), never hidden files, `.git`, a README, or an index file saved inside the corpus.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from retrieval.documents import SYNONYMS_FILE, corpus_files, read_corpus_file, size_limit


def bundled_corpus() -> Path:
    """The directory of the bundled corpus, wherever careerbot is installed."""
    try:
        found = importlib.resources.files("corpus")
    except ModuleNotFoundError:
        found = None
    # A regular package installed unzipped (as wheels are) is a directory. Anything else
    # (no package, a zipped install, a stray namespace directory) falls back to the
    # source tree's corpus/, so an error names a place a person can check.
    if isinstance(found, Path) and found.is_dir():
        return found
    return Path(__file__).resolve().parent.parent / "corpus"


DEFAULT_CORPUS = bundled_corpus()


class CorpusStamp(BaseModel):
    """What a saved index records about its corpus: where it was and what it held."""

    model_config = ConfigDict(frozen=True)

    path: str  # absolute, as the index was built
    digest: str  # sha256 over every file's name and sha256
    files: tuple[tuple[str, str], ...] = ()  # (name, sha256) of each file, in order


def default_synonyms_file(corpus: Path) -> Path | None:
    """`synonyms.txt` beside the documents (in a corpus directory, or next to a .jsonl file)."""
    candidate = (corpus if corpus.is_dir() else corpus.parent) / SYNONYMS_FILE
    # lexists, not is_file: a synonyms.txt that is a FIFO, a device or a link out of the
    # corpus is refused when read (one line naming it), not silently skipped.
    return candidate if os.path.lexists(candidate) else None


def corpus_stamp(path: Path) -> CorpusStamp:
    """The stamp of the corpus at `path` (a CorpusError if it cannot be read)."""
    root = path if path.is_dir() else path.parent
    files = corpus_files(path)
    synonyms = default_synonyms_file(path)
    if synonyms is not None:
        files.append(synonyms)
    entries: list[tuple[str, str]] = []
    for file in files:
        # A corpus file given by name may be a link; a file inside a directory may not leave it.
        inside = root if path.is_dir() or file == synonyms else None
        data = read_corpus_file(file, inside, size_limit(file))
        entries.append((file.relative_to(root).as_posix(), hashlib.sha256(data).hexdigest()))
    # The digest covers each file's name and hash, so every byte is hashed once.
    digest = hashlib.sha256("".join(f"{name}\0{sha}\n" for name, sha in entries).encode())
    return CorpusStamp(path=str(path.absolute()), digest=digest.hexdigest(), files=tuple(entries))


def corpus_fingerprint(path: Path) -> str:
    """sha256 identifying the corpus a saved index came from (see corpus_stamp)."""
    return corpus_stamp(path).digest
