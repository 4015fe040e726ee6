"""The built package works on its own: sdist -> wheel -> a fresh venv -> `careerbot ask` elsewhere.

Honest: the wheel is built from the sdist (so both must carry the corpus), installed with its
declared runtime dependencies at the versions constraints.txt pins into a new venv that
does not see this environment's packages, and run from a directory with no source tree,
with none of careerbot's settings in the environment.
Offline: uv takes every package from its cache, which `make install` (and so `make test` and
CI) has just filled with exactly these versions; nothing is fetched from the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What does a machine learning engineer do day to day?"


def _uv() -> str:
    try:
        import uv
    except ImportError:  # pragma: no cover - the test extra has it
        pytest.fail("uv is not installed: run `make install` (the test extra brings it)")
    return str(uv.find_uv_bin())


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{args[:3]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment less anything that could point back at this checkout or its venv."""
    from bot.settings import Settings

    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    env = {k: v for k, v in os.environ.items() if k not in drop and k.lower() not in Settings.model_fields}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(
        [_uv(), "build", "--offline", "--quiet", "--out-dir", str(out), str(ROOT)], cwd=out, env=_clean_env()
    )
    [built] = out.glob("careerbot-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("fresh") / "venv"
    uv, env = _uv(), _clean_env()
    _run(
        [uv, "venv", "--offline", "--quiet", "--python", sys.executable, str(where)],
        cwd=where.parent,
        env=env,
    )
    _run(
        [
            uv,
            "pip",
            "install",
            "--offline",
            "--quiet",
            "--python",
            str(where / "bin" / "python"),
            "--constraint",
            str(ROOT / "constraints.txt"),
            str(wheel),
        ],
        cwd=where.parent,
        env=env,
    )
    return where


def test_the_wheel_carries_the_code_the_corpus_and_the_licences(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    corpus = {n for n in names if n.startswith("corpus/")}
    assert {"corpus/what-mle-actually-does.md", "corpus/synonyms.txt"} <= corpus
    assert "bot/cli.py" in names and "retrieval/engine.py" in names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
    licences = {Path(n).name for n in names if ".dist-info/licenses/" in n}
    assert licences == {"LICENSE", "NOTICE"}


def test_careerbot_ask_works_from_anywhere_after_installing_the_wheel(venv: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    env = _clean_env(HOME=str(tmp_path))
    careerbot = str(venv / "bin" / "careerbot")

    where = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import bot, corpus, retrieval; print(bot.__file__, corpus.__file__)",
        ],
        cwd=elsewhere,
        env=env,
    ).stdout
    assert all(Path(p).is_relative_to(venv) for p in where.split()), where  # not this checkout

    text = _run([careerbot, "ask", QUESTION], cwd=elsewhere, env=env).stdout
    assert text.startswith(f"Q: {QUESTION}") and "\n[1] " in text and "https://" in text

    answer = json.loads(_run([careerbot, "ask", "--json", QUESTION], cwd=elsewhere, env=env).stdout)
    assert answer["answered"] is True and answer["hits"][0]["url"]

    listing = _run([careerbot, "corpus"], cwd=elsewhere, env=env).stdout
    assert "5 documents" in listing and "The corpus is valid." in listing

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert _run([careerbot, "--version"], cwd=elsewhere, env=env).stdout == f"careerbot {version}\n"


def test_the_installed_runtime_is_lean(venv: Path) -> None:
    """Only the runtime set: the reference scorer and the test and dev tools stay out."""
    listed = _run(
        [_uv(), "pip", "list", "--offline", "--python", str(venv / "bin" / "python"), "--format", "json"],
        cwd=venv,
        env=_clean_env(),
    ).stdout
    installed = {p["name"].lower() for p in json.loads(listed)}
    assert {"careerbot", "slack-bolt", "numpy", "pydantic"} <= installed
    assert not installed & {"rank-bm25", "pytest", "hypothesis", "ruff", "mypy", "bm25s", "matplotlib", "uv"}
