"""Loading and validating a corpus: a directory of .md/.txt documents, or a .jsonl file.

Every error is a CorpusError naming the file (and the line, for JSONL) and what is
wrong; any error aborts the whole load, so nothing is ever half-loaded.

Rules (documented for users in corpus/README.md):
- a directory: every .md and .txt file below it, sorted by path; hidden files and
  directories, README.md and synonyms.txt are skipped (they describe the corpus);
- a .md file needs YAML front matter with at least a title;
- a .txt file may have front matter; without it, its first non-empty line is the title;
- a .jsonl file: one JSON object per line with `id` or `_id`, `title`, `text`, and
  optional `url`, `authors`, `site`; an empty title falls back to the id.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import yaml

from retrieval.errors import CorpusError
from retrieval.models import Document

# Files in a corpus directory that document it rather than being documents.
SYNONYMS_FILE = "synonyms.txt"
NOT_DOCUMENTS = frozenset({"readme.md", SYNONYMS_FILE})
DOCUMENT_SUFFIXES = (".md", ".txt")
MAX_DOCUMENT_BYTES = 5_000_000
# A .jsonl corpus holds many documents in one file (SciFact's is 8 MB).
MAX_JSONL_BYTES = 1_000_000_000
# Front matter is a handful of fields. PyYAML takes ~25 s and ~850 MB for 4.7 MB of it,
# and its scanner is quadratic in the nesting of [ and { (60,000 '[' took 3 minutes), so
# both are bounded before it is parsed, and libyaml's parser is used when present.
MAX_FRONT_MATTER_BYTES = 16 * 1024
MAX_FRONT_MATTER_NESTING = 16
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
NEWLINE = b"\n"

# The closing line of front matter: '---' (or YAML's '...') alone on its line.
_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_FRONT_MATTER_START = re.compile(r"---[ \t]*\n")


def load_corpus(path: Path | str) -> list[Document]:
    """All documents of a corpus directory, .jsonl file or single .md/.txt file, validated."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise CorpusError(f"{path}: no such file or directory")
    if path.is_dir():
        documents = [_load_file(f, path) for f in document_files(path)]
    elif path.suffix.lower() == ".jsonl":
        documents = _load_jsonl(path)
    elif path.suffix.lower() in DOCUMENT_SUFFIXES:
        documents = [_load_file(path, None)]
    else:
        raise CorpusError(f"{path}: not a corpus (expected a directory, a .jsonl file, or a .md/.txt file)")
    if not documents:
        raise CorpusError(f"{path}: the corpus is empty (no .md, .txt or JSONL documents)")
    seen: dict[str, str] = {}
    for doc in documents:
        if doc.id in seen:
            raise CorpusError(f"{doc.source}: duplicate document id {doc.id!r} (also in {seen[doc.id]})")
        seen[doc.id] = doc.source
    return documents


def corpus_files(path: Path) -> list[Path]:
    """The files load_corpus(path) reads, in order (not the synonyms file)."""
    if path.is_dir():
        return document_files(path)
    if not path.exists() and not path.is_symlink():
        raise CorpusError(f"{path}: no such file or directory")
    return [path]


def document_files(root: Path) -> list[Path]:
    """The document files of a corpus directory, sorted; hidden directories are never entered.

    A symbolic link to a directory is not followed (its files, if inside the corpus, are
    read where they are); one pointing outside the corpus is refused.
    """
    files: list[Path] = []
    for directory, subdirs, names in os.walk(root):
        kept = []
        for name in subdirs:
            if name.startswith("."):
                continue
            sub = Path(directory) / name
            if sub.is_symlink():
                _refuse_link_outside(sub, root)
                continue
            kept.append(name)
        subdirs[:] = kept
        for name in names:
            if (
                not name.startswith(".")
                and name.lower().endswith(DOCUMENT_SUFFIXES)
                and name.lower() not in NOT_DOCUMENTS
            ):
                files.append(Path(directory) / name)
    return sorted(files)


def _refuse_link_outside(link: Path, root: Path) -> None:
    """CorpusError when the symbolic link `link` resolves to a place outside `root`."""
    target = link.resolve()
    if not target.is_relative_to(root.resolve()):
        raise CorpusError(
            f"{link}: a symbolic link to {os.readlink(link)}, outside the corpus directory; "
            "not read (copy the file into the corpus instead)"
        )


def size_limit(path: Path) -> int:
    """The most bytes a corpus file may hold: a .jsonl holds a whole corpus."""
    return MAX_JSONL_BYTES if path.suffix.lower() == ".jsonl" else MAX_DOCUMENT_BYTES


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def open_corpus_file(path: Path, root: Path | None, limit: int | None = MAX_DOCUMENT_BYTES) -> BinaryIO:
    """One corpus file, open for reading in binary, only if it is safe to read.

    Only a regular file is read, and only after stat() says it is at most `limit` bytes:
    a FIFO would hang start-up and /dev/zero would grow memory without bound. When `root`
    is given, a symbolic link must resolve inside it (`notes.txt -> ../.env` would turn a
    secret into a quotable document). The file is opened non-blocking and checked again
    on the open descriptor, so one swapped for a FIFO after the check cannot hang us.
    """
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            if root is not None:
                _refuse_link_outside(path, root)
            try:
                info = path.stat()
            except FileNotFoundError:
                raise CorpusError(
                    f"{path}: a broken symbolic link (to {os.readlink(path)}); not read"
                ) from None
    except FileNotFoundError:
        raise CorpusError(f"{path}: no such file") from None
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise CorpusError(f"{path}: {_kind(info.st_mode)}, not a regular file; not read")
    if limit is not None and info.st_size > limit:
        raise CorpusError(f"{path}: too large ({info.st_size:,} bytes; at most {limit:,})")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    fh = os.fdopen(fd, "rb")
    opened = os.fstat(fh.fileno())
    if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
        fh.close()
        raise CorpusError(f"{path}: changed while it was being read; try again")
    return fh


def read_corpus_file(path: Path, root: Path | None, limit: int | None = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of one corpus file, read only if it is safe to (see open_corpus_file)."""
    with open_corpus_file(path, root, limit) as fh:
        try:
            data = fh.read(-1 if limit is None else limit + 1)
        except OSError as exc:
            raise CorpusError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if limit is not None and len(data) > limit:
        raise CorpusError(f"{path}: too large (more than {limit:,} bytes)")
    return data


def read_corpus_text(
    path: Path, root: Path | None, limit: int | None = MAX_DOCUMENT_BYTES, by_line: bool = False
) -> str:
    """A corpus file's text, read as read_corpus_file() does: UTF-8 (a BOM is dropped),
    newlines normalised to '\\n'. `by_line` names the line of a bad byte (and allows NUL)."""
    data = read_corpus_file(path, root, limit)
    if not by_line and b"\x00" in data:
        raise CorpusError(f"{path}: binary file (contains NUL bytes), not a text document")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # decode() counts from after a BOM; the offset we print is into the file.
        offset = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        where = f"{path}:{data.count(NEWLINE, 0, offset) + 1}" if by_line else str(path)
        raise CorpusError(
            f"{where}: not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset}); save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load_file(path: Path, root: Path | None) -> Document:
    text = read_corpus_text(path, root)
    meta, body = _split_front_matter(path, text)
    if meta is None:
        if path.suffix.lower() == ".md":
            raise CorpusError(
                f"{path}: no YAML front matter (start the file with a '---' line, a 'title: ...' line, "
                "and another '---' line)"
            )
        # A plain .txt document: its first non-empty line is its title, the rest its text.
        lines = text.strip().split("\n", 1)
        meta = {"title": lines[0].strip()}
        body = lines[1] if len(lines) > 1 else ""
    return _document(meta, body, source=str(path), default_id=path.stem)


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, Any] | None, str]:
    """(front matter, body) of a file; (None, text) when it has no front matter."""
    start = _FRONT_MATTER_START.match(text)
    if start is None:
        return None, text
    end = _FRONT_MATTER_END.search(text, start.end())
    if end is None:
        raise CorpusError(f"{path}: front matter is not closed (no '---' line after the opening one)")
    raw = text[start.end() : end.start()]
    body = text[end.end() :].removeprefix("\n")
    meta = parse_yaml(path, raw, "front matter", first_line=2)
    if meta is None:
        raise CorpusError(f"{path}: front matter is empty (it needs at least 'title: ...')")
    if not isinstance(meta, dict):
        raise CorpusError(f"{path}: front matter must be a mapping of fields (title: ..., url: ...)")
    return meta, body


def parse_yaml(
    path: Path,
    raw: str,
    what: str = "YAML",
    first_line: int = 1,
    limit: int = MAX_FRONT_MATTER_BYTES,
) -> Any:
    """YAML text from a corpus file as plain data, its cost bounded by `limit`.

    For any YAML a corpus holds (front matter, a corpus's own settings file): at most
    `limit` bytes and MAX_FRONT_MATTER_NESTING levels of [ or {, parsed with a safe loader
    (libyaml's when present). Every problem is a CorpusError of one line naming the file
    and, for broken YAML, the line (`first_line` is the file line of the text's first line).
    """
    size = len(raw.encode())
    if size > limit:
        advice = ": it holds a few fields (title, url, ...), the text goes after the closing '---'"
        raise CorpusError(
            f"{path}: {what} too large ({size:,} bytes; at most {limit:,})"
            f"{advice if what == 'front matter' else ''}"
        )
    if _nesting(raw) > MAX_FRONT_MATTER_NESTING:
        raise CorpusError(
            f"{path}: {what} nested too deeply (more than {MAX_FRONT_MATTER_NESTING} levels of [ or {{)"
        )
    try:
        return yaml.load(raw, Loader=_YAML_LOADER)  # a safe loader: plain data, never objects
    except RecursionError:  # a backstop: _nesting() bounds this
        raise CorpusError(f"{path}: {what} nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + first_line})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
        broken = "broken YAML front matter" if what == "front matter" else f"broken YAML in {what}"
        raise CorpusError(f"{path}: {broken}{where}: {problem}") from None


def _nesting(raw: str) -> int:
    """The deepest nesting of YAML flow collections ([ and {).

    Brackets inside quoted text count too: skipping quotes the way YAML does would need
    YAML's own scanner, and front matter never quotes sixteen unclosed brackets."""
    depth = deepest = 0
    for char in raw:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest


def _text_field(meta: dict[str, Any], name: str, source: str) -> str | None:
    """An optional text field; numbers are accepted as text (YAML reads `title: 1984` as a number)."""
    value = meta.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise CorpusError(f"{source}: {name} must be text, not {type(value).__name__}")
    return str(value).strip()


def naming_text(title: str, authors: Sequence[str], site: str | None) -> str:
    """The words that name a document besides its text: its title, authors and site. They are
    indexed with the document, not with its passages, so a question that names an article
    ("the Dataiku post", "what does Omont say") reaches its passages (see retrieval.search,
    title words)."""
    return " ".join((title, *authors, site or ""))


class DocumentRecord(NamedTuple):
    """A checked document's fields, without the model (an index build reads millions)."""

    id: str
    title: str
    text: str
    url: str | None
    authors: tuple[str, ...]
    site: str | None
    source: str

    def document(self) -> Document:
        # Every field is checked and has its type: construct without validating again.
        return Document.model_construct(**self._asdict())


def _document(
    meta: dict[str, Any], body: str, source: str, default_id: str, title_fallback: bool = False
) -> Document:
    return _record(meta, body, source, default_id, title_fallback).document()


def _record(
    meta: dict[str, Any], body: str, source: str, default_id: str, title_fallback: bool = False
) -> DocumentRecord:
    doc_id = _text_field(meta, "id", source)
    if doc_id is None:
        doc_id = _text_field(meta, "_id", source)
    if doc_id is None:
        doc_id = default_id
    if not doc_id:
        raise CorpusError(f"{source}: empty document id")
    title = _text_field(meta, "title", source)
    if not title:
        if not title_fallback:
            raise CorpusError(f"{source}: missing title (every document needs a non-empty title)")
        title = doc_id  # a wiki export or a benchmark may leave a title empty
    if not body or body.isspace():  # (not body.strip(), without copying the text)
        raise CorpusError(f"{source}: empty body (the document has no text)")
    authors = meta.get("authors") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.split(",") if a.strip()]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise CorpusError(f"{source}: authors must be a list of names (or one comma-separated string)")
    return DocumentRecord(
        doc_id,
        " ".join(title.split()),
        body.strip("\n"),
        _text_field(meta, "url", source) or None,
        tuple(a.strip() for a in authors if a.strip()) if authors else (),
        _text_field(meta, "site", source) or None,
        source,
    )


def _load_jsonl(path: Path) -> list[Document]:
    documents: list[Document] = []
    for number, line in enumerate(
        read_corpus_text(path, None, limit=MAX_JSONL_BYTES, by_line=True).split("\n"), start=1
    ):
        doc = _jsonl_document(path, number, line)
        if doc is not None:
            documents.append(doc)
    return documents


def _jsonl_document(path: Path, number: int, line: str) -> Document | None:
    """The document on line `number` of a JSONL corpus (None for a blank line)."""
    record = _jsonl_record(path, number, line)
    return None if record is None else record.document()


def _jsonl_record(path: Path, number: int, line: str) -> DocumentRecord | None:
    if not line.strip():
        return None
    source = f"{path}:{number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{source}: not valid JSON ({exc.msg}, column {exc.colno})") from None
    except RecursionError:
        raise CorpusError(f"{source}: JSON nested too deeply to be a document") from None
    if not isinstance(record, dict):
        raise CorpusError(f"{source}: not a JSON object (each line must be one {{...}} document)")
    if "id" not in record and "_id" not in record:
        raise CorpusError(f"{source}: missing id (give 'id' or '_id')")
    text = record.get("text")
    if not isinstance(text, str):
        raise CorpusError(f"{source}: missing text (each line needs a 'text' string)")
    return _record(record, text, source, default_id="", title_fallback=True)


def iter_corpus(path: Path | str) -> Iterator[Document]:
    """load_corpus() one document at a time, for large corpora: a .jsonl file is read line
    by line, never whole. Raises the same CorpusError as load_corpus() for the same file
    (as soon as it reaches the bad line), so a caller that stops on it loads nothing."""
    for record in iter_records(path):
        yield record.document()


def iter_records(path: Path | str) -> Iterator[DocumentRecord]:
    """iter_corpus() as DocumentRecords (the fields, without a model per document)."""
    path = Path(path)
    if not (path.suffix.lower() == ".jsonl" and (path.exists() or path.is_symlink()) and not path.is_dir()):
        for doc in load_corpus(path):
            yield DocumentRecord(doc.id, doc.title, doc.text, doc.url, doc.authors, doc.site, doc.source)
        return
    # A set, not a dict of line numbers: a million int objects would stay scattered
    # among the ids the build keeps. The first line is looked up again on a duplicate.
    seen: set[str] = set()
    for number, offset, raw in jsonl_lines(path):
        record = jsonl_line_record(path, number, offset, raw)
        if record is None:
            continue
        if record.id in seen:
            raise duplicate_id_error(path, number, record.id)
        seen.add(record.id)
        yield record
    if not seen:
        raise CorpusError(f"{path}: the corpus is empty (no .md, .txt or JSONL documents)")


def duplicate_id_error(path: Path, number: int, doc_id: str) -> CorpusError:
    """The error for line `number` of a JSONL corpus repeating an earlier line's id."""
    first = next(
        n
        for n, offset, raw in jsonl_lines(path)
        if (record := jsonl_line_record(path, n, offset, raw)) is not None and record.id == doc_id
    )
    return CorpusError(f"{path}:{number}: duplicate document id {doc_id!r} (also in {path}:{first})")


def jsonl_lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(line number, file offset, bytes) of each line of a JSONL corpus, read as it goes,
    with read_corpus_file's checks (a regular file, at most MAX_JSONL_BYTES)."""
    with open_corpus_file(path, None, MAX_JSONL_BYTES) as fh:
        offset = 0
        number = 0
        while True:
            try:
                raw = fh.readline()
            except OSError as exc:
                raise CorpusError(f"{path}: cannot be read ({exc.strerror or exc})") from None
            if not raw:
                break
            start = offset
            offset += len(raw)
            if offset > MAX_JSONL_BYTES:
                raise CorpusError(f"{path}: too large (more than {MAX_JSONL_BYTES:,} bytes)")
            if start == 0 and raw.startswith(b"\xef\xbb\xbf"):
                raw, start = raw[3:], 3
            if b"\r" not in raw:
                number += 1
                yield number, start, raw
                continue
            # A lone CR ends a line too (as in _read_text); CRLF is one line end.
            for piece in raw.replace(b"\r\n", b"\n").split(b"\r"):
                number += 1
                yield number, start + raw.find(piece), piece


def jsonl_line_document(path: Path, number: int, offset: int, raw: bytes) -> Document | None:
    """The document on one line of a JSONL corpus (None for a blank line)."""
    record = jsonl_line_record(path, number, offset, raw)
    return None if record is None else record.document()


def jsonl_line_record(path: Path, number: int, offset: int, raw: bytes) -> DocumentRecord | None:
    """jsonl_line_document() as a DocumentRecord."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path}:{number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {offset + exc.start}); "
            "save the file as UTF-8"
        ) from None
    return _jsonl_record(path, number, line)


def load_synonyms(path: Path | str) -> list[tuple[str, ...]]:
    """Synonym groups, lower-cased: one per line, comma-separated phrases, '#' starts a comment.

    The file is read like a document: a regular file, or a link that stays inside its own
    directory (an error quotes a line, so it must never be a secret linked in).
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise CorpusError(f"{path}: no such synonyms file")
    groups: list[tuple[str, ...]] = []
    for number, line in enumerate(read_corpus_text(path, path.parent, by_line=True).split("\n"), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        phrases = tuple(" ".join(p.split()).lower() for p in content.split(","))
        if len(phrases) < 2 or not all(phrases):
            raise CorpusError(
                f"{path}:{number}: a synonym group needs two or more comma-separated phrases "
                f"(got {content!r})"
            )
        groups.append(phrases)
    return groups
