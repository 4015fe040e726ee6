"""CI repeatability: hypothesis's `ci` profile, and .ci/run keeping the test log."""

from __future__ import annotations

from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent


def test_hypothesis_ci_profile_is_derandomized_without_a_database() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize is True and ci.database is None and ci.deadline is None


def test_ci_run_uses_the_profile_and_keeps_the_test_log() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "HYPOTHESIS_PROFILE=ci" in script
    assert "--junitxml=.ci/logs/junit.xml" in script and "tee .ci/logs/test.log" in script
    assert "set -euo pipefail" in script  # tee must not hide a failing make test
    assert ".ci/logs/" in (ROOT / ".gitignore").read_text(encoding="utf-8")
