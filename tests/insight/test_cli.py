"""`careerbot feedback` (text and --json, for a period) and `careerbot helpers`, from a real store."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bench.insight import Seeded, seed
from bot.cli import main
from bot.settings import Settings
from bot.store.sqlite import SQLiteStore
from tests.insight.test_web import expected


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    path = tmp_path / "cli.db"
    monkeypatch.setenv("CAREERBOT_DB", str(path))
    return path


@pytest.fixture
def seeded_db(db: Path, now: datetime) -> tuple[Path, Seeded]:
    store = SQLiteStore(db)
    seeded = seed(store, 300, now, days=30)
    store.close()
    return db, seeded


def test_feedback_json_has_the_page_figures(
    seeded_db: tuple[Path, Seeded], capsys: pytest.CaptureFixture[str]
) -> None:
    _, seeded = seeded_db
    assert main(["feedback", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    want = expected(seeded)
    assert data["period"]["days"] == 30
    assert data["questions"]["asked"] == want["asked"] and data["questions"]["answered"] == want["answered"]
    assert (data["votes"]["up"], data["votes"]["down"]) == (want["up"], want["down"])
    assert data["resolution"]["auto_resolved"] == want["auto"]
    assert (data["resolution"]["handoffs_open"], data["resolution"]["handoffs_resolved"]) == (
        want["open"],
        want["resolved"],
    )
    assert sum(d["asked"] for d in data["per_day"]) == want["asked"]
    assert (
        data["unanswered_groups"]
        and data["unanswered_groups"][0]["count"] >= data["unanswered_groups"][-1]["count"]
    )
    assert "all_time" in data and data["all_time"]["up"] >= want["up"]
    assert main(["feedback", "--json", "--days", "7"]) == 0
    assert json.loads(capsys.readouterr().out)["questions"]["asked"] == expected(seeded, 7)["asked"]


def test_feedback_text_keeps_the_old_lines_and_adds_the_period(
    seeded_db: tuple[Path, Seeded], capsys: pytest.CaptureFixture[str]
) -> None:
    _, seeded = seeded_db
    assert main(["feedback"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("votes: ")  # the all-time lines, as before
    want = expected(seeded)
    assert f"questions: {want['asked']} from " in out
    assert f"hand-offs: {want['open']} open, {want['resolved']} resolved" in out
    assert "unanswered questions by concept:" in out and "👎 reasons:" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "days must be from 1 to 366"),
        (["--days", "many"], "days must be a whole number"),
        (["--from", "yesterday"], "from must be a date like"),
        (["--from", "2026-11-20", "--to", "2026-11-10"], "is after to"),
    ],
)
def test_bad_periods_are_one_line(
    db: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feedback", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_helpers_command(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CAREERBOT_HELPERS", "slack:S1")
    assert main(["helpers", "--platform", "slack", "set", "C1", "slack:U2,discord:role:5"]) == 0
    assert "slack channel C1: slack:U2" in capsys.readouterr().out  # only this platform's ids are kept
    assert main(["helpers"]) == 0
    out = capsys.readouterr().out
    assert "default (CAREERBOT_HELPERS): slack:S1" in out and "slack channel C1: slack:U2" in out
    assert main(["helpers", "--platform", "slack", "set", "C1", "@channel"]) == 2
    assert "is not a helper" in capsys.readouterr().err
    assert main(["helpers", "--platform", "slack", "set", "C1", "discord:role:5"]) == 2
    assert "no slack helper" in capsys.readouterr().err
    assert main(["helpers", "--platform", "slack", "clear", "C1"]) == 0
    capsys.readouterr()
    assert main(["helpers"]) == 0
    assert "channel C1" not in capsys.readouterr().out
