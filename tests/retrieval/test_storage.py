"""Saved indexes: round trip, and every way a file can be wrong gives one clear error."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from retrieval import Engine, IndexFileError
from retrieval.storage import ANALYZER_VERSION

DOC = "---\nid: {id}\ntitle: {title}\n---\n{body}\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.md").write_text(
        DOC.format(id="a", title="MLOps", body="Monitoring models in production is MLOps work.")
    )
    (root / "b.md").write_text(
        DOC.format(id="b", title="Roles", body="## Pay\nSalaries depend on the level and the city.")
    )
    (root / "synonyms.txt").write_text("salary, pay, compensation\n")
    return root


@pytest.fixture
def saved(corpus: Path, tmp_path: Path) -> Path:
    out = tmp_path / "index.npz"
    Engine.from_corpus(corpus).save(out)
    return out


def rewrite(path: Path, change) -> None:  # noqa: ANN001
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    change(arrays)
    with path.open("wb") as fh:
        np.savez(fh, **arrays)


def test_round_trip_answers_identically(corpus: Path, saved: Path) -> None:
    built, loaded = Engine.from_corpus(corpus), Engine.load(saved, corpus)
    for question in (
        "what is the compensation for these roles?",
        "monitoring models in production",
        "a joke",
    ):
        assert loaded.ask(question) == built.ask(question)
    assert [p.id for p in loaded.passages] == [p.id for p in built.passages]
    assert loaded.passages[-1].section == "Pay" and loaded.document("b").title == "Roles"


def test_missing_not_an_archive_and_truncated(corpus: Path, saved: Path, tmp_path: Path) -> None:
    with pytest.raises(IndexFileError, match="no such index file"):
        Engine.load(tmp_path / "missing.npz", corpus)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"#!/bin/sh\nrm -rf /\n")
    with pytest.raises(IndexFileError, match="not a careerbot index file"):
        Engine.load(junk, corpus)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(IndexFileError, match="not a careerbot index file or damaged"):
        Engine.load(truncated, corpus)


def test_built_from_another_corpus_is_refused(corpus: Path, saved: Path) -> None:
    (corpus / "a.md").write_text(DOC.format(id="a", title="MLOps", body="Changed text."))
    with pytest.raises(IndexFileError, match=r"has changed since this index was built \(changed: a\.md\)"):
        Engine.load(saved, corpus)


def test_stale_version_is_refused(corpus: Path, saved: Path) -> None:
    def age(arrays: dict) -> None:
        meta = json.loads(arrays["meta"].tobytes())
        meta["analyzer"] = ANALYZER_VERSION - 1
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    rewrite(saved, age)
    with pytest.raises(IndexFileError, match="stale"):
        Engine.load(saved, corpus)


def test_inconsistent_arrays_are_refused(corpus: Path, saved: Path) -> None:
    rewrite(saved, lambda a: a.update(passages_postings=a["passages_postings"][:-1]))
    with pytest.raises(IndexFileError, match="inconsistent|damaged"):
        Engine.load(saved, corpus)


def test_pickled_objects_are_never_loaded(corpus: Path, saved: Path, tmp_path: Path) -> None:
    # An .npz whose member is an object array needs pickle to load; we refuse it.
    with np.load(saved, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["owner"] = np.array([{"boom": 1}], dtype=object)
    evil = tmp_path / "evil.npz"
    with evil.open("wb") as fh:
        np.savez(fh, **arrays)
    with zipfile.ZipFile(evil) as z:
        assert "owner.npy" in z.namelist()
    with pytest.raises(IndexFileError):
        Engine.load(evil, corpus)


def test_a_loaded_engine_slices_like_a_built_one(corpus: Path, saved: Path) -> None:
    built, loaded = Engine.from_corpus(corpus), Engine.load(saved, corpus)
    assert [d.id for d in loaded.documents[:20]] == [d.id for d in built.documents[:20]]
    assert [p.text for p in loaded.passages[-2:]] == [p.text for p in built.passages[-2:]]


def test_a_flipped_byte_inside_the_arrays_is_caught(corpus: Path, saved: Path) -> None:
    # The archive's CRC-32 per member catches damage that keeps every array's shape.
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as z:
        member = z.getinfo("passages_weights.npy")
    data[member.header_offset + 30 + len(member.filename) + member.file_size - 3] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="damaged"):
        Engine.load(saved, corpus)


class _Payload:
    """Unpickling this would create `marker`: proof that code from the file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204 - pickle's protocol
        return (Path.write_text, (self.marker, "code from the index file ran"))


@pytest.mark.parametrize("member", ["owner", "meta", "extra"])
def test_a_pickle_payload_is_refused_and_never_runs(
    corpus: Path, saved: Path, tmp_path: Path, member: str
) -> None:
    marker = tmp_path / "pwned"
    with np.load(saved, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays[member] = np.array([_Payload(marker)], dtype=object)
    evil = tmp_path / "evil.npz"
    with evil.open("wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(IndexFileError):
        Engine.load(evil, corpus)
    assert not marker.exists()
    # The payload is real: unpickling the member does run it.
    with np.load(evil, allow_pickle=True) as archive:
        archive[member]
    assert marker.exists()


def test_a_stale_format_is_refused(corpus: Path, saved: Path) -> None:
    def age(arrays: dict) -> None:
        meta = json.loads(arrays["meta"].tobytes())
        meta["format"] = meta["format"] + 1
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    rewrite(saved, age)
    with pytest.raises(IndexFileError, match="stale"):
        Engine.load(saved, corpus)


def _retrieval_imports() -> dict[str, set[str]]:
    """Module -> the retrieval modules it imports (at any level, TYPE_CHECKING included)."""
    import ast

    root = Path(__file__).resolve().parents[2] / "retrieval"
    graph: dict[str, set[str]] = {}
    for file in root.glob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        graph[file.stem] = {n.split(".")[1] for n in names if n.startswith("retrieval.")}
    return graph


def test_storage_and_corpus_never_import_the_engine() -> None:
    graph = _retrieval_imports()
    assert "engine" not in graph["storage"]
    assert "engine" not in graph["corpus"] and "storage" not in graph["corpus"]
    assert graph["documents"] <= {"errors", "models"}
    assert {"storage", "corpus"} <= graph["engine"]


def test_retrieval_imports_have_no_cycle() -> None:
    graph = _retrieval_imports()
    graph.pop("__init__")  # the package's public surface imports everything, by design
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for dependency in graph.get(module, ()):
            visit(dependency, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
