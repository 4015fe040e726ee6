"""The `careerbot` command line: JSON contract, batch mode, eval, corpus checks, errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main, run_chat
from retrieval import Engine

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "tests" / "data" / "questions.json"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("CAREERBOT_CORPUS", "CAREERBOT_INDEX", "SLACK_BOT_TOKEN", "DISCORD_PUBLIC_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None
) -> tuple[int, str, str]:
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    try:
        code = main(args)
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ask", "--json", "Will ML engineers need to learn DevOps?"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1  # exactly one JSON object on stdout
    obj = json.loads(lines[0])
    assert set(obj) == {"question", "answered", "hits"}
    assert obj["question"] == "Will ML engineers need to learn DevOps?" and obj["answered"] is True
    assert 1 <= len(obj["hits"]) <= 3
    for hit in obj["hits"]:
        assert set(hit) == {"text", "score", "doc_id", "title", "url"}
        assert isinstance(hit["text"], str) and isinstance(hit["score"], float)
        assert hit["url"] is None or hit["url"].startswith("http")
    scores = [h["score"] for h in obj["hits"]]
    assert scores[0] == max(scores)
    assert any("DevOps" in h["text"] for h in obj["hits"])


def test_ask_text_shows_sources(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["ask", "--top-k", "1", "Is a machine learning engineer like a full-stack developer?"], capsys
    )
    assert code == 0
    assert "Full-Stack Engineers" in out
    assert "Podcast Episode Overview" in out and "http://queirozf.com/" in out


def test_no_answer_is_honest(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["ask", "--json", "What time does the cafeteria open?"], capsys)
    assert code == 0 and json.loads(out) == {
        "question": "What time does the cafeteria open?",
        "answered": False,
        "hits": [],
    }
    code, out, _ = run(["ask", "What time does the cafeteria open?"], capsys)
    assert "nothing good" in out and "What does a machine learning engineer do day to day?" in out


def test_batch_json_keeps_input_order_and_reports_bad_lines(capsys: pytest.CaptureFixture[str]) -> None:
    stdin = "What is MLOps?\n\nTell me a joke\nWhy should an ML engineer understand cost functions?\n"
    code, out, _ = run(["ask", "--json", "--batch", "-"], capsys, stdin=stdin)
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["question"] for o in objs] == [
        "What is MLOps?",
        "",
        "Tell me a joke",
        "Why should an ML engineer understand cost functions?",
    ]
    assert "empty" in objs[1]["error"] and objs[1]["answered"] is False
    assert objs[2]["answered"] is False and objs[3]["answered"] is True
    assert code == 1  # one line could not be asked


def test_batch_from_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = tmp_path / "qs.txt"
    batch.write_text(
        "Will ML engineers need to learn DevOps?\nWhat if most of the training data is in English?\n"
    )
    code, out, _ = run(["ask", "--json", "--top-k", "2", "--batch", str(batch)], capsys)
    assert code == 0
    objs = [json.loads(line) for line in out.splitlines()]
    assert len(objs) == 2 and all(o["answered"] and len(o["hits"]) <= 2 for o in objs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "empty"),
        (["ask", "x" * 100_000], "too long"),
        (["ask", "what is\x1b[2J mlops"], "control characters"),
        (["ask"], "give a question"),
        (["ask", "--corpus", "/nonexistent/corpus", "hi"], "no such file"),
        (["eval", "/nonexistent.json"], "no such file"),
    ],
)
def test_bad_input_gets_one_clear_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(args, capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_batch_binary_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\xff\xfe\x00\x01binary")
    code, _, err = run(["ask", "--batch", str(binary)], capsys)
    assert code == 2 and "not UTF-8" in err


def test_eval_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["eval", str(QUESTIONS), "--verbose"], capsys)
    assert code == 0
    for label in ("hit@1", "hit@3", "MRR@5", "answered", "abstain"):
        assert label in out
    code, out, _ = run(["eval", "--json", str(QUESTIONS)], capsys)
    report = json.loads(out)
    assert report["in_corpus"] == 12 and report["off_topic"] == 12
    assert 0.0 <= report["mrr_at_5"] <= report["hit_at_3"] <= 1.0
    assert report["abstained"] == 1.0  # none of our off-topic questions gets an answer


def test_eval_on_a_tiny_labelled_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labelled = tmp_path / "q.json"
    labelled.write_text(
        json.dumps(
            {
                "questions": [
                    {
                        "id": "a",
                        "q": "Will ML engineers need to learn DevOps?",
                        "spans": [["004", "DevOps methodology"]],
                    },
                    {
                        "id": "b",
                        "q": "Will ML engineers need to learn DevOps?",
                        "spans": [["004", "no such span anywhere"]],
                    },
                ],
                "off_topic": [{"id": "x", "q": "Tell me a joke"}],
            }
        )
    )
    code, out, _ = run(["eval", "--json", str(labelled)], capsys)
    report = json.loads(out)
    assert (report["hit_at_1"], report["hit_at_3"], report["mrr_at_5"]) == (0.5, 0.5, 0.5)
    assert (report["answered"], report["abstained"]) == (1.0, 1.0)
    assert [m["id"] for m in report["misses"]] == ["b"]


def test_corpus_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(["corpus"], capsys)
    assert code == 0 and "5 documents" in out and "The corpus is valid" in out
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    code, _, err = run(["corpus", "--corpus", str(broken)], capsys)
    assert code == 2 and "a.md" in err and "front matter" in err


def test_corpus_jsonl_env_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "wiki.jsonl"
    corpus.write_text(
        json.dumps(
            {"_id": "w1", "title": "Onboarding", "text": "New hires meet their mentor on the first day."}
        )
        + "\n"
        + json.dumps(
            {"id": "w2", "title": "Laptops", "text": "IT hands out laptops to new hires on the first day."}
        )
        + "\n"
    )
    monkeypatch.setenv("CAREERBOT_CORPUS", str(corpus))
    code, out, _ = run(["ask", "--json", "When do new hires meet their mentor?"], capsys)
    obj = json.loads(out)
    assert (
        code == 0 and obj["answered"] and obj["hits"][0]["doc_id"] == "w1" and obj["hits"][0]["url"] is None
    )


def test_index_build_and_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "idx.npz"
    code, out, _ = run(["index", "build", "--out", str(out_file)], capsys)
    assert code == 0 and out_file.exists()
    question = "Why should an ML engineer understand cost functions?"
    code, built, _ = run(["ask", "--json", question], capsys)
    code2, loaded, _ = run(["ask", "--json", "--index", str(out_file), question], capsys)
    assert code == code2 == 0 and built == loaded
    out_file.write_bytes(b"not an index")
    code, _, err = run(["ask", "--index", str(out_file), question], capsys)
    assert code == 2 and "not a careerbot index" in err


def test_chat_answers_like_the_bot() -> None:
    engine = Engine.from_corpus()
    stdin = io.StringIO("Will ML engineers need to learn DevOps?\n\n   \nquit\nnever read\n")
    stdout = io.StringIO()
    assert run_chat(engine, stdin, stdout) == 0
    text = stdout.getvalue()
    assert "DevOps" in text and "Machine Learning Engineers Won't Be Replaced Anytime Soon" in text
    assert "never read" not in text


def test_console_script_runs_as_a_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "What goal do SWEs and MLEs have in common?"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["answered"] is True
