"""The pins, the Makefile and the pre-commit hooks agree with pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pins() -> dict[str, list[tuple[Version, str]]]:
    """name -> [(version, marker)] from constraints.txt (uv --universal may pin per Python version)."""
    pins: dict[str, list[tuple[Version, str]]] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        spec, _, marker = line.partition(";")
        name, _, version = spec.strip().partition("==")
        pins.setdefault(canonicalize_name(name), []).append((Version(version), marker.strip()))
    return pins


def _declared() -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra if not r.startswith("careerbot")]
    return reqs


def test_constraints_pin_every_declared_dependency_within_its_range() -> None:
    pins = _pins()
    missing, outside = [], []
    for req in _declared():
        name = canonicalize_name(req.name)
        if name not in pins:
            missing.append(req.name)
            continue
        outside += [
            f"{req} (pinned {v})" for v, _ in pins[name] if not req.specifier.contains(v, prereleases=True)
        ]
    hint = "pyproject.toml changed: run `make lock` and commit constraints.txt"
    assert missing == [], hint
    assert outside == [], hint


def test_constraints_resolve_for_this_python() -> None:
    """Every pin whose marker applies here is a single version (no ambiguity for pip or uv)."""
    env = default_environment()
    for name, versions in _pins().items():
        here = [v for v, marker in versions if not marker or Marker(marker).evaluate(env)]
        assert len(here) <= 1, (name, here)


def test_makefile_and_pre_commit_run_the_same_checks() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    for command in ("ruff check .", "ruff format --check .", "mypy", "pytest"):
        assert re.search(rf"\$\(BIN\)/{re.escape(command)}(\s|$)", test_recipe), command
    assert "--constraint constraints.txt" in makefile
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = {hook["entry"] for repo in hooks["repos"] for hook in repo["hooks"]}
    assert entries == {
        ".venv/bin/ruff check --force-exclude",
        ".venv/bin/ruff format --check --force-exclude",
        ".venv/bin/mypy",
    }
