"""`careerbot index build`: --verbose stage times, --jobs, and no progress output off a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from retrieval import Engine
from retrieval import build as build_module
from tests.retrieval.build_fixture import CORPUS


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_verbose_prints_each_stage_and_the_index_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    monkeypatch.setattr(build_module, "PARALLEL_BYTES", 0)  # let two workers build a small corpus
    out = tmp_path / "index.npz"
    assert (
        main(["index", "build", "--corpus", str(CORPUS), "--out", str(out), "--verbose", "--jobs", jobs]) == 0
    )
    printed = capsys.readouterr()
    stages = [line.split()[0] for line in printed.out.splitlines() if line.startswith("  ")]
    assert stages[:1] == ["load"] and {
        "split",
        "near-duplicates",
        "analyze",
        "index",
        "save",
        "total",
    } <= set(stages)
    assert "wrote" in printed.out and "passages" in printed.out
    assert printed.err == ""  # stderr is not a terminal here: no live count
    built = Engine.from_corpus(CORPUS, jobs=1)
    loaded = Engine.load(out, CORPUS)
    assert [p.text for p in loaded.passages] == [p.text for p in built.passages]


def test_without_verbose_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "build", "--corpus", str(CORPUS), "--out", str(tmp_path / "i.npz")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


@pytest.mark.parametrize("bad", ["0", "x", "-2"])
def test_bad_jobs_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    with pytest.raises(SystemExit):
        main(["index", "build", "--corpus", str(CORPUS), "--out", str(tmp_path / "i.npz"), "--jobs", bad])
    err = capsys.readouterr().err
    assert "--jobs" in err and "Traceback" not in err
