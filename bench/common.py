"""Shared helpers: SciFact paths, tables, a progress bar that stays quiet in CI logs."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CAREERBOT_SHARED", ROOT.parent / "shared"))
SCIFACT = SHARED / "benchmarks" / "scifact"
OUT = ROOT / "bench" / "out"

T = TypeVar("T")


def progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """A progress bar on a terminal; nothing in CI logs or when piped."""
    show = sys.stderr.isatty() and not os.environ.get("CI")
    started = time.monotonic()
    for n, item in enumerate(items, 1):
        if show and (n == total or n % max(1, total // 100) == 0):
            done = int(30 * n / total)
            rate = n / max(time.monotonic() - started, 1e-9)
            sys.stderr.write(f"\r{label:24} [{'#' * done}{'.' * (30 - done)}] {n}/{total} {rate:,.0f}/s")
            sys.stderr.flush()
        yield item
    if show:
        sys.stderr.write("\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table (also readable in a terminal)."""
    rows = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join(
        [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(r) for r in rows)]
    )


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 100 else f"{value:,.0f}"
    return str(value)


def scifact_queries() -> dict[str, str]:
    return {
        q["_id"]: q["text"] for q in map(json.loads, (SCIFACT / "queries.jsonl").read_text().splitlines())
    }


def scifact_qrels() -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        query, doc, score = line.split("\t")
        qrels.setdefault(query, {})[doc] = int(score)
    return qrels


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)
