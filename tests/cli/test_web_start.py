"""`careerbot serve --http` (the Procfile's web command) with a broken corpus or a damaged saved
index: one `careerbot: error:` line and exit 2, before gunicorn starts any worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import free_port


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "DATABASE_URL", "CAREERBOT_"))
    }
    base.update(
        {
            "PORT": str(free_port()),
            "DISCORD_PUBLIC_KEY": "ab" * 32,
            "DISCORD_APPLICATION_ID": "123",
            "CAREERBOT_DB": str(tmp_path / "w.db"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--http"],
        env=base,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("broken", ["document", "index"])
def test_a_broken_corpus_or_index_stops_web_start_in_one_line(tmp_path: Path, broken: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    env: dict[str, str] = {"CAREERBOT_CORPUS": str(corpus)}
    if broken == "document":
        (corpus / "bad.md").write_text("---\ntitle: [unclosed\n---\n\nSome text about ML engineers.\n")
    else:
        (corpus / "ok.md").write_text(
            "---\nid: ok\ntitle: OK\n---\n\nML engineers build models and ship them.\n"
        )
        index = tmp_path / "index.zip"
        index.write_bytes(b"PK\x03\x04 not really a zip file")
        env["CAREERBOT_INDEX"] = str(index)
    result = _serve(tmp_path, **env)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("careerbot: error: "), lines[:5]
    assert "Booting worker" not in result.stderr and "Traceback" not in result.stderr


def test_discord_gateway_with_discord_unreachable_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "CAREERBOT_"))}
    env.update(
        {
            "DISCORD_BOT_TOKEN": "bot-token-secret",
            "DISCORD_APPLICATION_ID": "123",
            "DISCORD_API_URL": f"http://127.0.0.1:{free_port()}/api/v10",  # nothing listens there
            "CAREERBOT_DB": str(tmp_path / "g.db"),
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "discord", "gateway"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("careerbot: error: cannot reach Discord"), lines[:5]
    assert "Traceback" not in result.stderr and "bot-token-secret" not in result.stderr
