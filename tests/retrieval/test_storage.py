"""Saved indexes: round trip, and every way a file can be wrong gives one clear error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from retrieval import CorpusError, Engine, IndexFileError
from retrieval.index import FORMAT_VERSION
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
        member = z.getinfo("passages_codes.npy")
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


# -- the fingerprint covers only what the index is built from (issue 10, item 12) --------


def test_an_index_saved_inside_its_corpus_still_loads(corpus: Path) -> None:
    out = corpus / "index.npz"
    Engine.from_corpus(corpus).save(out)
    (corpus / ".git").mkdir()
    (corpus / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (corpus / ".draft.md").write_text("not yet\n")
    (corpus / "README.md").write_text("# About this corpus\n")
    assert Engine.load(out, corpus).ask("monitoring models in production").answered


def test_synonyms_are_part_of_the_fingerprint(corpus: Path, saved: Path) -> None:
    (corpus / "synonyms.txt").write_text("salary, pay\n")
    with pytest.raises(IndexFileError, match=r"changed: synonyms\.txt"):
        Engine.load(saved, corpus)


# -- a damaged file costs no more than its size (issue 10, items 11-12) ------------------


def _npy(shape: tuple[int, ...], payload: bytes, dtype: str = "<f8") -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + payload


def test_a_member_declaring_a_huge_array_is_refused_before_allocating(saved: Path) -> None:
    with zipfile.ZipFile(saved, "a") as z:
        z.writestr("huge.npy", _npy((10**12,), b"\0" * 64))
    with pytest.raises(IndexFileError, match="declares 8,000,000,000,000 bytes and holds 64"):
        Engine.load(saved)


def test_deeply_nested_header_json_is_refused(corpus: Path, saved: Path) -> None:
    rewrite(saved, lambda a: a.update(meta=np.frombuffer(b"[" * 200_000, dtype=np.uint8)))
    with pytest.raises(IndexFileError, match="not a careerbot index file or damaged"):
        Engine.load(saved, corpus)


@pytest.mark.parametrize(
    "damage",
    [
        lambda a: a.update(passage_sections=np.full_like(a["passage_sections"], 99)),
        lambda a: a.update(passage_offsets=a["passage_offsets"][::-1].copy()),
        lambda a: a.update(passage_texts=np.frombuffer(b"\xff" * a["passage_texts"].size, dtype=np.uint8)),
    ],
)
def test_cross_references_are_checked_at_load(corpus: Path, saved: Path, damage) -> None:  # noqa: ANN001
    # Each of these loaded before and failed later, inside a request that read a passage.
    rewrite(saved, damage)
    with pytest.raises(IndexFileError, match="inconsistent|damaged"):
        Engine.load(saved, corpus)


@pytest.mark.timeout(60)
def test_a_fifo_or_device_as_index_file_is_refused(corpus: Path, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.npz")
    with pytest.raises(IndexFileError, match="not a regular file"):
        Engine.load(tmp_path / "fifo.npz", corpus)
    with pytest.raises(IndexFileError, match="not a regular file"):
        Engine.load("/dev/zero", corpus)


# -- refusals that explain themselves (issue 11, item 7) ---------------------------------


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CAREERBOT_", "SLACK_", "DISCORD_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
        env={**environ, **env},
    )


def test_loaded_without_its_corpus_says_to_point_at_it(corpus: Path, saved: Path) -> None:
    proc = run_cli("ask", "--index", str(saved), "what is the pay?")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"careerbot: error: {saved}: built from the corpus at {corpus}")
    assert "no --corpus or CAREERBOT_CORPUS given" in proc.stderr
    assert f"--corpus {corpus}" in proc.stderr and f"CAREERBOT_CORPUS={corpus}" in proc.stderr
    assert run_cli("ask", "--index", str(saved), "--corpus", str(corpus), "what is the pay?").returncode == 0
    assert (
        run_cli(
            "ask", "what is the pay?", CAREERBOT_INDEX=str(saved), CAREERBOT_CORPUS=str(corpus)
        ).returncode
        == 0
    )


def test_another_corpus_says_where_it_was_built_and_what_to_run(
    corpus: Path, saved: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.md").write_text(DOC.format(id="c", title="Other", body="Something else entirely."))
    with pytest.raises(IndexFileError) as info:
        Engine.load(saved, other)
    assert str(info.value) == (
        f"{saved}: built from the corpus at {corpus}, not {other}; point --corpus or CAREERBOT_CORPUS at "
        f"{corpus}, or rebuild it for this corpus with `careerbot index build --corpus {other} --out {saved}`"
    )


def test_another_version_names_both_versions_and_the_command(corpus: Path, saved: Path) -> None:
    def age(arrays: dict) -> None:
        meta = json.loads(arrays["meta"].tobytes())
        meta.update(analyzer=ANALYZER_VERSION - 1, careerbot="0.0.1")
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    rewrite(saved, age)
    with pytest.raises(IndexFileError) as info:
        Engine.load(saved, corpus)
    message = str(info.value)
    assert message.startswith(
        f"{saved}: built by careerbot 0.0.1 (index format {FORMAT_VERSION}, analyzer {ANALYZER_VERSION - 1})"
    )
    assert message.endswith(f"rebuild it with `careerbot index build --corpus {corpus} --out {saved}`")


def test_an_index_from_before_corpus_stamps_says_so(corpus: Path, saved: Path) -> None:
    def strip(arrays: dict) -> None:
        meta = json.loads(arrays["meta"].tobytes())
        del meta["corpus"]
        meta["fingerprint"] = "0" * 64
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    rewrite(saved, strip)
    with pytest.raises(IndexFileError, match="or by an older careerbot"):
        Engine.load(saved, corpus)


@pytest.mark.parametrize(
    "damage",
    [
        lambda a: a.update(passages_vocabulary=np.frombuffer(b"[" * 200_000, dtype=np.uint8)),
        lambda a: a.update(
            passages_params=np.frombuffer(b'{"k1": "x", "b": 0, "delta": 1, "avgdl": 2}', np.uint8)
        ),
    ],
)
def test_damaged_index_json_is_one_line_error(corpus: Path, saved: Path, damage) -> None:  # noqa: ANN001
    rewrite(saved, damage)
    with pytest.raises(IndexFileError, match="damaged|inconsistent"):
        Engine.load(saved, corpus)


def test_a_missing_corpus_names_where_the_index_was_built_from(
    corpus: Path, saved: Path, tmp_path: Path
) -> None:
    with pytest.raises(CorpusError) as info:
        Engine.load(saved, tmp_path / "nowhere")
    assert str(info.value) == (
        f"{tmp_path / 'nowhere'}: no such file or directory (the corpus for the saved index {saved}; "
        f"it was built from {corpus}; point --corpus or CAREERBOT_CORPUS at it)"
    )


def test_the_bundled_corpus_changed_by_an_upgrade_says_so(tmp_path: Path) -> None:
    from retrieval.corpus import DEFAULT_CORPUS

    out = tmp_path / "index.npz"
    Engine.from_corpus().save(out)

    def older(arrays: dict) -> None:
        meta = json.loads(arrays["meta"].tobytes())
        meta.update(careerbot="0.0.1", fingerprint="0" * 64)
        meta["corpus"]["files"] = [[name, "0" * 64] for name, _ in meta["corpus"]["files"]]
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    rewrite(out, older)
    with pytest.raises(
        IndexFileError, match=r"has changed since this index was built, as careerbot went from 0\.0\.1"
    ):
        Engine.load(out)
    with pytest.raises(IndexFileError, match=f"--corpus {DEFAULT_CORPUS} --out {out}"):
        Engine.load(out)


@pytest.mark.parametrize("damage", ["truncated", "huge array", "fifo"])
def test_a_damaged_index_is_one_cli_line_and_exit_2(corpus: Path, saved: Path, damage: str) -> None:
    if damage == "truncated":
        saved.write_bytes(saved.read_bytes()[:-100])
    elif damage == "huge array":
        with zipfile.ZipFile(saved, "a") as z:
            z.writestr("huge.npy", _npy((10**12,), b"\0" * 64))
    else:
        saved.unlink()
        os.mkfifo(saved)
    proc = run_cli("ask", "--index", str(saved), "--corpus", str(corpus), "what is the pay?")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"careerbot: error: {saved}: ") and proc.stderr.count("\n") == 1


def test_document_rows_hold_and_save_what_a_list_of_rows_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval import storage

    rows = [
        ("a", "Café ☕ title", None, (), None),
        ("b", "", "https://example.com/b", ("Ann", "Bo"), "Site"),
        ("c", "Third", None, ("Cy",), None),
        ("d", 'Fourth "quoted" \\ title', None, (), "S"),
        ("e", "Fifth", None, (), None),
    ]
    table = storage.DocumentRows()
    for start in (0, 2, 3):  # three batches, extras numbered within each
        batch = rows[start : {0: 2, 2: 3, 3: 5}[start]]
        titles = [r[1].encode() for r in batch]
        table.extend(
            [r[0] for r in batch],
            b"".join(titles),
            np.array([len(t) for t in titles]),
            {n: r[2:] for n, r in enumerate(batch) if r[2] or r[3] or r[4]},
        )
    assert list(table) == rows
    assert table[-1] == rows[-1] and table[1:3] == rows[1:3]
    assert storage.LazyDocuments(table).ids == ["a", "b", "c", "d", "e"]
    monkeypatch.setattr(storage, "ROWS_PER_JSON_STEP", 2)  # every step boundary
    meta = {"magic": "m", "documents": rows, "sections": ["x"], "synonyms": [["a", "b"]]}
    pieces = storage._meta_json({**meta, "documents": table})
    assert b"".join(pieces) == json.dumps(meta, ensure_ascii=False).encode()
    assert b"".join(storage._meta_json({"documents": storage.DocumentRows()})) == b'{"documents": []}'


def test_write_npz_writes_what_savez_does(tmp_path: Path) -> None:
    from retrieval import storage

    arrays = {
        "ints": np.arange(10, dtype=np.int32),
        "floats": np.linspace(0, 1, 7),
        "empty": np.empty(0, dtype=np.uint16),
        "strided": np.arange(20, dtype=np.int64)[::3],
        "text": np.frombuffer("café".encode(), dtype=np.uint8),
    }
    ours, theirs = tmp_path / "ours.npz", tmp_path / "theirs.npz"
    with ours.open("wb") as fh:
        storage.write_npz(fh, {**arrays, "meta": [b'{"a": ', b"1}"]})
    np.savez(theirs, **arrays, meta=np.frombuffer(b'{"a": 1}', dtype=np.uint8))
    with zipfile.ZipFile(ours) as a, zipfile.ZipFile(theirs) as b:
        assert [(i.filename, i.file_size, i.compress_type) for i in a.infolist()] == [
            (i.filename, i.file_size, i.compress_type) for i in b.infolist()
        ]
        for info in a.infolist():
            assert a.read(info.filename) == b.read(info.filename)
