"""Loading and validating a corpus: a directory of .md/.txt documents, or a .jsonl file.

Every error is a CorpusError naming the file (and the line, for JSONL) and what is
wrong; any error aborts the whole load, so nothing is ever half-loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from retrieval.errors import CorpusError
from retrieval.models import Document

# Files in a corpus directory that document it rather than being documents.
NOT_DOCUMENTS = frozenset({"readme.md", "synonyms.txt"})
MAX_DOCUMENT_BYTES = 5_000_000


def load_corpus(path: Path | str) -> list[Document]:
    """All documents of a corpus directory or .jsonl file, validated."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: no such file or directory")
    if path.is_dir():
        documents = [_load_file(f) for f in _document_files(path)]
    elif path.suffix.lower() == ".jsonl":
        documents = _load_jsonl(path)
    elif path.suffix.lower() in (".md", ".txt"):
        documents = [_load_file(path)]
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


def _document_files(root: Path) -> list[Path]:
    files = [
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in (".md", ".txt")
        and p.name.lower() not in NOT_DOCUMENTS
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    return sorted(files)


def _read_text(path: Path, limit: int | None = MAX_DOCUMENT_BYTES) -> str:
    data = path.read_bytes()
    if limit is not None and len(data) > limit:
        raise CorpusError(f"{path}: too large ({len(data):,} bytes; at most {MAX_DOCUMENT_BYTES:,})")
    if b"\x00" in data:
        raise CorpusError(f"{path}: binary file (contains NUL bytes), not a text document")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path}: not UTF-8 text (bad byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load_file(path: Path) -> Document:
    text = _read_text(path)
    meta, body = _split_front_matter(path, text)
    if meta is None:
        if path.suffix.lower() == ".md":
            raise CorpusError(
                f"{path}: no YAML front matter (start the file with '---', a title: line, and '---')"
            )
        # A plain .txt document: its first non-empty line is its title.
        lines = body.strip().split("\n", 1)
        meta = {"title": lines[0].strip()}
        body = lines[1] if len(lines) > 1 else ""
    return _document(meta, body, source=str(path), default_id=path.stem)


def _split_front_matter(path: Path, text: str) -> tuple[dict | None, str]:
    if not text.startswith("---\n"):
        return None, text
    end = text.find("\n---", 3)
    if end == -1:
        raise CorpusError(f"{path}: front matter is not closed (no line '---' after the opening one)")
    raw = text[4:end]
    body = text[end + 4 :].split("\n", 1)[1] if "\n" in text[end + 4 :] else ""
    try:
        meta = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise CorpusError(
            f"{path}: broken YAML front matter{where}: {getattr(exc, 'problem', exc)}"
        ) from None
    if not isinstance(meta, dict):
        raise CorpusError(f"{path}: front matter must be a mapping of fields (title: ..., url: ...)")
    return meta, body


def _document(meta: dict, body: str, source: str, default_id: str, title_fallback: bool = False) -> Document:
    doc_id = meta.get("id", meta.get("_id", default_id))
    if doc_id is None or str(doc_id).strip() == "":
        raise CorpusError(f"{source}: empty document id")
    doc_id = str(doc_id).strip()
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        if title_fallback and (title is None or isinstance(title, str)):
            title = doc_id
        else:
            raise CorpusError(f"{source}: missing title (every document needs a non-empty title)")
    if not body.strip():
        raise CorpusError(f"{source}: empty body (the document has no text)")
    url = meta.get("url")
    if url is not None and not isinstance(url, str):
        raise CorpusError(f"{source}: url must be text")
    authors = meta.get("authors") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.split(",") if a.strip()]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise CorpusError(f"{source}: authors must be a list of names")
    site = meta.get("site")
    if site is not None and not isinstance(site, str):
        raise CorpusError(f"{source}: site must be text")
    return Document(
        id=doc_id,
        title=" ".join(title.split()),
        text=body.strip("\n"),
        url=url or None,
        authors=tuple(authors),
        site=site or None,
        source=source,
    )


def _load_jsonl(path: Path) -> list[Document]:
    documents: list[Document] = []
    for number, line in enumerate(_read_text(path, limit=None).split("\n"), start=1):
        if not line.strip():
            continue
        source = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{source}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise CorpusError(f"{source}: each line must be a JSON object")
        if "id" not in record and "_id" not in record:
            raise CorpusError(f"{source}: missing id (give 'id' or '_id')")
        text = record.get("text")
        if not isinstance(text, str):
            raise CorpusError(f"{source}: missing text (each line needs a 'text' string)")
        # A wiki export or a benchmark may leave a title empty: the id stands in for it.
        documents.append(_document(record, text, source, default_id="", title_fallback=True))
    return documents


def load_synonyms(path: Path | str) -> list[list[str]]:
    """Synonym groups: one per line, comma-separated phrases, '#' starts a comment."""
    path = Path(path)
    groups: list[list[str]] = []
    for number, line in enumerate(_read_text(path).split("\n"), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        phrases = [" ".join(p.split()).lower() for p in content.split(",")]
        if any(not p for p in phrases) or len(phrases) < 2:
            raise CorpusError(f"{path}:{number}: a synonym group needs two or more comma-separated phrases")
        groups.append(phrases)
    return groups
