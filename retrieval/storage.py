"""Saving and loading the parts of a built index (`careerbot index build --out FILE`).

This module knows index parts (documents, passages, the passage search, synonym groups,
the corpus stamp), never the engine: `Engine.save()` and `Engine.load()` wrap it.

The file is a NumPy .npz archive holding only numeric arrays and UTF-8 JSON bytes. It
is read member by member: each .npy header is checked against the member's real size
before anything is allocated (a header declaring a huge array costs nothing), object
arrays are refused (so loading never unpickles, never runs code from the file), and
every cross-reference between the arrays is checked at load, so a damaged file fails
at start-up with one line rather than later inside a request.

The JSON header records the careerbot version, the format and analyzer versions (a
stale file is refused) and the corpus stamp (where the corpus was and what it held), so
a refusal can say what went wrong and what to run.
"""

from __future__ import annotations

import importlib.metadata
import json
import stat
import zipfile
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, overload

import numpy as np

from retrieval.corpus import DEFAULT_CORPUS, CorpusStamp, corpus_stamp
from retrieval.errors import CorpusError, IndexFileError
from retrieval.index import FORMAT_VERSION, BM25Index
from retrieval.models import Document, Passage
from retrieval.search import PassageSearch

# Bump when tokenize(), passage splitting or the saved layout changes: old files are stale.
ANALYZER_VERSION = 5  # 4: authors and site indexed, accents folded; 5: function-word stop list
MAGIC = "careerbot-index"
# Numeric arrays only: bool, signed and unsigned integers, floats (never objects or strings).
ARRAY_KINDS = frozenset("biuf")
LISTED_CHANGES = 3  # file names shown when a corpus changed


def careerbot_version() -> str:
    try:
        return importlib.metadata.version("careerbot")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree without installing
        return "unknown"


@dataclass(frozen=True)
class IndexParts:
    """Everything a saved index holds; the engine is built from these."""

    documents: Sequence[Document]
    passages: Sequence[Passage]
    search: PassageSearch
    synonyms: list[list[str]]
    corpus: CorpusStamp
    removed_duplicates: int = 0


class LazyPassages(Sequence[Passage]):
    """Passages kept as arrays (one UTF-8 blob with offsets); a Passage is built when read.

    A server reads a handful of passages per answer, so loading 100k passages as objects
    up front would cost start-up time for nothing.
    """

    def __init__(
        self,
        blob: bytes | bytearray | memoryview,
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

    def arrays(self) -> tuple[bytes | bytearray | memoryview, np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """(text blob, offsets, number in its document, section number, sections), for saving."""
        return self._blob, self._offsets, self._numbers, self._section_index, self._sections

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
        text = str(self._blob[int(self._offsets[i]) : int(self._offsets[i + 1])], "utf-8")
        return Passage.model_construct(
            id=f"{doc_id}#{int(self._numbers[i])}",
            doc_id=doc_id,
            section=self._sections[section] if section >= 0 else None,
            text=text,
        )


class DocumentRows(Sequence[tuple[Any, ...]]):
    """(id, title, url, authors, site) of each document, kept compactly for a large build:
    the ids as strings (every passage names its document), the titles in one UTF-8
    blob, and url/authors/site only for the documents that have one."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._titles = bytearray()
        self._title_ends = array("q")
        self._extras: dict[int, tuple[Any, ...]] = {}  # document -> (url, authors, site)

    def extend(
        self, ids: list[str], titles: bytes, title_lengths: np.ndarray, extras: dict[int, tuple[Any, ...]]
    ) -> None:
        """Add documents: their titles UTF-8, one after another, and `extras` by their
        number among these ones."""
        first = len(self.ids)
        self.ids.extend(ids)
        self._title_ends.frombytes((len(self._titles) + np.cumsum(title_lengths, dtype=np.int64)).tobytes())
        self._titles.extend(titles)
        self._extras.update((first + n, extra) for n, extra in extras.items())

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, i: int) -> tuple[Any, ...]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[Any, ...]]: ...
    def __getitem__(self, i: int | slice) -> tuple[Any, ...] | list[tuple[Any, ...]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        start = self._title_ends[i - 1] if i else 0
        title = self._titles[start : self._title_ends[i]].decode("utf-8")
        return (self.ids[i], title, *self._extras.get(i, _NO_EXTRAS))


_NO_EXTRAS: tuple[Any, ...] = (None, (), None)
ROWS_PER_JSON_STEP = 65_536


class LazyDocuments(Sequence[Document]):
    """Documents kept as their saved rows; a Document is built when read."""

    def __init__(self, rows: Sequence[Sequence[Any]]) -> None:
        self._rows = rows
        self.ids: list[str] = rows.ids if isinstance(rows, DocumentRows) else [str(row[0]) for row in rows]

    def rows(self) -> Sequence[Sequence[Any]]:
        """[id, title, url, authors, site] per document, as saved."""
        return self._rows

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


# -- saving -------------------------------------------------------------------------------


def save_index(parts: IndexParts, out: Path) -> None:
    """Write the index parts to `out` (atomically: a reader never sees half a file)."""
    if isinstance(parts.passages, LazyPassages):  # already arrays: no object per passage
        blob, offsets, numbers, section_index, section_list = parts.passages.arrays()
    else:
        sections: dict[str, int] = {}
        texts: list[bytes] = []
        numbers = np.empty(len(parts.passages), dtype=np.int32)
        section_index = np.empty(len(parts.passages), dtype=np.int32)
        for n, passage in enumerate(parts.passages):
            texts.append(passage.text.encode("utf-8"))
            numbers[n] = int(passage.id.rsplit("#", 1)[1])
            section_index[n] = (
                -1 if passage.section is None else sections.setdefault(passage.section, len(sections))
            )
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in texts], out=offsets[1:])
        blob, section_list = b"".join(texts), list(sections)
    documents = (
        parts.documents.rows()
        if isinstance(parts.documents, LazyDocuments)
        else [[d.id, d.title, d.url, list(d.authors), d.site] for d in parts.documents]
    )
    meta = {
        "magic": MAGIC,
        "format": FORMAT_VERSION,
        "analyzer": ANALYZER_VERSION,
        "careerbot": careerbot_version(),
        "fingerprint": parts.corpus.digest,
        "corpus": parts.corpus.model_dump(mode="json"),
        "removed_duplicates": parts.removed_duplicates,
        "documents": documents,
        "sections": section_list,
        "synonyms": parts.synonyms,
    }
    arrays = {f"passages_{k}": v for k, v in parts.search.passages.arrays().items()}
    arrays.update({f"documents_{k}": v for k, v in parts.search.documents.arrays().items()})
    arrays.update(
        owner=parts.search.owner,
        passage_numbers=numbers,
        passage_sections=section_index,
        passage_offsets=offsets,
        passage_texts=np.frombuffer(blob, dtype=np.uint8),
    )
    members: dict[str, np.ndarray | list[bytes]] = {**arrays, "meta": _meta_json(meta)}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("wb") as fh:
        write_npz(fh, members)
    tmp.replace(out)


def write_npz(fh: BinaryIO, members: dict[str, np.ndarray | list[bytes]]) -> None:
    """np.savez(fh, **members): the same archive (stored, zip64, one .npy per member, a
    version 1.0 header), with each array's bytes written in place rather than copied 16
    MB at a time, and a member given as byte strings (uint8: the meta JSON) written one
    after another, never joined."""
    with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in members.items():
            if isinstance(value, list):
                header = np.lib.format.header_data_from_array_1_0(np.empty(0, dtype=np.uint8))
                header["shape"] = (sum(map(len, value)),)
                parts: list[bytes | memoryview] = list(value)
            else:
                array = np.ascontiguousarray(value)
                header = np.lib.format.header_data_from_array_1_0(array)
                parts = [memoryview(array.reshape(-1).data).cast("B")] if array.size else []
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array_header_1_0(member, header)
                for part in parts:
                    member.write(part)


def _meta_json(meta: dict[str, Any]) -> list[bytes]:
    """json.dumps(meta, ensure_ascii=False) as UTF-8, the same bytes in pieces, with a
    DocumentRows table written a slice at a time (never as one list of a million rows,
    nor as one string beside its encoding)."""
    rows = meta.get("documents")
    if not isinstance(rows, DocumentRows):
        return [json.dumps(meta, ensure_ascii=False).encode()]
    parts: list[bytes] = []
    for n, (key, value) in enumerate(meta.items()):
        parts.append(f"{', ' if n else '{'}{json.dumps(key)}: ".encode())
        if key != "documents":
            parts.append(json.dumps(value, ensure_ascii=False).encode())
            continue
        for start in range(0, len(rows), ROWS_PER_JSON_STEP):
            step = json.dumps(rows[start : start + ROWS_PER_JSON_STEP], ensure_ascii=False)
            parts.append(f"{', ' if start else '['}{step[1:-1]}".encode())
        parts.append(b"]" if len(rows) else b"[]")
    parts.append(b"}")
    return parts


# -- loading ------------------------------------------------------------------------------


def load_index(path: Path, corpus: Path = DEFAULT_CORPUS) -> IndexParts:
    """Load a saved index for `corpus`.

    IndexFileError (one line: what is wrong and what to run) when the file is missing,
    damaged, from another careerbot version, or from another corpus; CorpusError when
    the corpus itself cannot be read.
    """
    arrays = read_arrays(path)
    meta = _meta(path, arrays.pop("meta", None))
    _check_version(path, meta, corpus)
    _check_corpus(path, meta, corpus)
    return _parts(path, arrays, meta)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every member of a saved index as a numeric array, with memory bounded by the file's size."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise IndexFileError(
            f"{path}: no such index file (build one with `careerbot index build --out {path}`)"
        ) from None
    except OSError as exc:
        raise IndexFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise IndexFileError(f"{path}: not a regular file, so not an index file")
    try:
        with zipfile.ZipFile(path) as archive:
            return {_member_name(m): _read_member(archive, m, info.st_size) for m in archive.infolist()}
    except IndexFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError) as exc:
        raise IndexFileError(
            f"{path}: not a careerbot index file or damaged ({exc.__class__.__name__})"
        ) from None
    except MemoryError:  # a backstop: the size checks below should make this unreachable
        raise IndexFileError(f"{path}: damaged (an array larger than memory)") from None


def _member_name(member: zipfile.ZipInfo) -> str:
    if not member.filename.endswith(".npy"):
        raise ValueError(member.filename)
    return member.filename[: -len(".npy")]


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, file_size: int) -> np.ndarray:
    """One .npy member, checked before anything is allocated (see the module docstring)."""
    source = Path(str(archive.filename))
    # np.savez stores members uncompressed: a member can then hold no more than the file.
    if member.compress_type != zipfile.ZIP_STORED or member.file_size > file_size:
        raise IndexFileError(f"{source}: not a careerbot index file (member {member.filename} is compressed)")
    with archive.open(member) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"npy version {version}")
        header = fh.tell()
        if dtype.kind not in ARRAY_KINDS or dtype.hasobject:
            raise IndexFileError(
                f"{source}: not a careerbot index file (member {member.filename} holds "
                f"{dtype.kind!r} data, not numbers; it is never unpickled)"
            )
        count = 1
        for extent in shape:
            count *= int(extent)
        if count * dtype.itemsize != member.file_size - header:
            raise IndexFileError(
                f"{source}: the index data is damaged (member {member.filename} declares "
                f"{count * dtype.itemsize:,} bytes and holds {member.file_size - header:,})"
            )
        data = fh.read(member.file_size - header)  # zipfile checks the CRC-32 at the end
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if fortran else "C")


def _meta(path: Path, raw: np.ndarray | None) -> dict[str, Any]:
    if raw is None:
        raise IndexFileError(f"{path}: not a careerbot index file (no header)")
    try:
        meta = json.loads(raw.tobytes().decode())
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise IndexFileError(
            f"{path}: not a careerbot index file or damaged ({exc.__class__.__name__})"
        ) from None
    if not isinstance(meta, dict) or meta.get("magic") != MAGIC:
        raise IndexFileError(f"{path}: not a careerbot index file")
    return meta


def _build_command(path: Path, corpus: Path | str) -> str:
    return f"`careerbot index build --corpus {corpus} --out {path}`"


def _check_version(path: Path, meta: dict[str, Any], corpus: Path) -> None:
    if meta.get("format") == FORMAT_VERSION and meta.get("analyzer") == ANALYZER_VERSION:
        return
    built_by = (
        f"careerbot {meta['careerbot']}" if isinstance(meta.get("careerbot"), str) else "an older careerbot"
    )
    raise IndexFileError(
        f"{path}: built by {built_by} (index format {meta.get('format')}, analyzer {meta.get('analyzer')}); "
        f"careerbot {careerbot_version()} reads format {FORMAT_VERSION}, analyzer {ANALYZER_VERSION} (stale); "
        f"rebuild it with {_build_command(path, _recorded_path(meta) or corpus)}"
    )


def _recorded_path(meta: dict[str, Any]) -> str | None:
    recorded = meta.get("corpus")
    path = recorded.get("path") if isinstance(recorded, dict) else None
    return path if isinstance(path, str) else None


def _check_corpus(path: Path, meta: dict[str, Any], corpus: Path) -> None:
    """Refuse an index built from another corpus, saying which case it is and what to run."""
    if not corpus.exists() and not corpus.is_symlink():
        built_from = _recorded_path(meta)
        hint = f"; it was built from {built_from}" if built_from else ""
        raise CorpusError(
            f"{corpus}: no such file or directory (the corpus for the saved index {path}{hint}; "
            "point --corpus or CAREERBOT_CORPUS at it)"
        )
    here = corpus_stamp(corpus)
    if meta.get("fingerprint") == here.digest:
        return
    try:
        recorded = CorpusStamp.model_validate(meta.get("corpus"))
    except ValueError:
        raise IndexFileError(
            f"{path}: built from a different corpus than {corpus} (or by an older careerbot, which "
            f"fingerprinted corpora differently); rebuild it with {_build_command(path, corpus)}"
        ) from None
    given_default = corpus.resolve() == DEFAULT_CORPUS.resolve()
    if Path(recorded.path).resolve() != corpus.resolve():
        still_there = _unchanged(recorded)
        if given_default and still_there:
            raise IndexFileError(
                f"{path}: built from the corpus at {recorded.path}, but loaded with the bundled corpus "
                f"(no --corpus or CAREERBOT_CORPUS given); run with --corpus {recorded.path} "
                f"or set CAREERBOT_CORPUS={recorded.path}"
            )
        advice = (
            f"point --corpus or CAREERBOT_CORPUS at {recorded.path}, or "
            if still_there
            else f"{recorded.path} is gone or has changed since; "
        )
        raise IndexFileError(
            f"{path}: built from the corpus at {recorded.path}, not {corpus}"
            f"{' (the bundled corpus: no --corpus or CAREERBOT_CORPUS given)' if given_default else ''}; "
            f"{advice}rebuild it for this corpus with {_build_command(path, corpus)}"
        )
    built_by, running = meta.get("careerbot"), careerbot_version()
    upgraded = (
        f", as careerbot went from {built_by} to {running}"
        if given_default and isinstance(built_by, str) and built_by != running
        else ""
    )
    raise IndexFileError(
        f"{path}: the corpus {corpus} has changed since this index was built{upgraded} "
        f"({_changes(recorded, here)}); rebuild it with {_build_command(path, corpus)}"
    )


def _unchanged(recorded: CorpusStamp) -> bool:
    """Whether the corpus an index was built from is still there, as it was."""
    where = Path(recorded.path)
    if not where.exists():
        return False
    try:
        return corpus_stamp(where).digest == recorded.digest
    except CorpusError:
        return False


def _changes(before: CorpusStamp, after: CorpusStamp) -> str:
    """'changed: a.md; added: c.md; removed: b.md' (a few names each, then a count)."""
    old, new = dict(before.files), dict(after.files)
    groups = (
        ("changed", [n for n in new if n in old and old[n] != new[n]]),
        ("added", [n for n in new if n not in old]),
        ("removed", [n for n in old if n not in new]),
    )
    out = []
    for label, names in groups:
        if names:
            shown = ", ".join(names[:LISTED_CHANGES])
            more = f" and {len(names) - LISTED_CHANGES} more" if len(names) > LISTED_CHANGES else ""
            out.append(f"{label}: {shown}{more}")
    return "; ".join(out) or "its files differ"


def _parts(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> IndexParts:
    """Build the parts, checking every cross-reference (a damaged file fails here, not in a request)."""
    try:
        owner = np.asarray(arrays["owner"], dtype=np.int32)
        search = PassageSearch(
            BM25Index.from_arrays(_prefixed(arrays, "passages_"), path),
            BM25Index.from_arrays(_prefixed(arrays, "documents_"), path),
            owner,
        )
        rows = meta["documents"]
        if not isinstance(rows, list) or not all(_document_row(r) for r in rows):
            raise ValueError("documents")
        documents = LazyDocuments(rows)
        offsets = np.asarray(arrays["passage_offsets"], dtype=np.int64)
        raw = np.asarray(arrays["passage_texts"], dtype=np.uint8)
        blob = raw.tobytes()
        blob.decode("utf-8")  # every passage text is read as UTF-8 later: check it once
        sections = meta["sections"]
        if not isinstance(sections, list) or not all(isinstance(s, str) for s in sections):
            raise ValueError("sections")
        section_index = np.asarray(arrays["passage_sections"], dtype=np.int32)
        numbers = np.asarray(arrays["passage_numbers"], dtype=np.int32)
        passages = LazyPassages(blob, offsets, owner, numbers, section_index, sections, documents.ids)
        synonyms = meta["synonyms"]
        if not isinstance(synonyms, list) or not all(
            isinstance(g, list) and all(isinstance(p, str) for p in g) for g in synonyms
        ):
            raise ValueError("synonyms")
        corpus = CorpusStamp.model_validate(meta["corpus"])
        removed = int(meta.get("removed_duplicates", 0))
        starts = offsets[:-1][np.diff(offsets) > 0] if offsets.size else offsets
        consistent = (
            _numeric_params(search.passages)
            and _numeric_params(search.documents)
            and len(passages) == search.size == len(offsets) - 1 == section_index.size
            and len(documents) == search.documents.size
            and offsets.size > 0
            and offsets[0] == 0
            and offsets[-1] == len(blob)
            and bool(np.all(np.diff(offsets) >= 0))
            # a passage starts on a character, not inside one
            and not bool(np.any((raw[starts] & 0xC0) == 0x80))
            and (owner.size == 0 or (owner.min() >= 0 and owner.max() < len(documents)))
            and (
                section_index.size == 0 or (section_index.min() >= -1 and section_index.max() < len(sections))
            )
        )
    except (KeyError, TypeError, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise IndexFileError(f"{path}: the index data is damaged ({exc.__class__.__name__})") from None
    if not consistent:
        raise IndexFileError(f"{path}: the index data is inconsistent (damaged file)")
    return IndexParts(documents, passages, search, synonyms, corpus, removed)


def _numeric_params(index: BM25Index) -> bool:
    """k1, b, delta, avgdl are numbers (scoring would fail inside a request otherwise)."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in index.params.values())


def _document_row(row: Any) -> bool:
    return (
        isinstance(row, list)
        and len(row) == 5
        and isinstance(row[0], str)
        and isinstance(row[1], str)
        and (row[2] is None or isinstance(row[2], str))
        and isinstance(row[3], list)
        and all(isinstance(a, str) for a in row[3])
        and (row[4] is None or isinstance(row[4], str))
    )


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {name[len(prefix) :]: value for name, value in arrays.items() if name.startswith(prefix)}
