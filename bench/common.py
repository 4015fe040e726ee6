"""Shared helpers: SciFact paths, tables, percentiles, memory, a progress bar quiet in CI logs."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shlex
import socket
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


def interactive() -> bool:
    """Progress bars only on a terminal, never in CI logs or when stderr is piped."""
    return sys.stderr.isatty() and not os.environ.get("CI")


class Bar:
    """A one-line progress bar on stderr; does nothing when not interactive()."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label = max(total, 1), label
        self.show = interactive()
        self.started = time.monotonic()
        self._drawn = -1

    def update(self, done: int) -> None:
        if not self.show:
            return
        percent = min(100, 100 * done // self.total)
        if percent == self._drawn and done < self.total:
            return  # redraw at most once per percent
        self._drawn = percent
        filled = 30 * percent // 100
        elapsed = time.monotonic() - self.started
        sys.stderr.write(
            f"\r{self.label:28} [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{self.total:,} {elapsed:5.1f} s"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.show:
            sys.stderr.write("\n")
            sys.stderr.flush()


def progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Yield the items, drawing a Bar as they go."""
    bar = Bar(total, label)
    n = 0
    for n, item in enumerate(items, 1):
        bar.update(n)
        yield item
    bar.update(n)
    bar.close()


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table (also readable in a terminal)."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN: not measured
            return ""
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def scifact_queries() -> dict[str, str]:
    """All SciFact queries by id."""
    lines = (SCIFACT / "queries.jsonl").read_text().splitlines()
    return {q["_id"]: q["text"] for q in map(json.loads, lines)}


def scifact_qrels() -> dict[str, dict[str, int]]:
    """The 300 test queries' relevance judgements: query id -> {document id: grade}."""
    qrels: dict[str, dict[str, int]] = {}
    for line in (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        query, doc, score = line.split("\t")
        qrels.setdefault(query, {})[doc] = int(score)
    return qrels


def scifact_test_questions() -> list[str]:
    """The text of SciFact's 300 test queries, in qrels order (the latency workload)."""
    queries = scifact_queries()
    return [queries[qid] for qid in scifact_qrels()]


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), q in 0..1."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def memory_mb() -> tuple[float, float]:
    """(current RSS, peak RSS since the last reset_peak_memory()) of this process, in MB."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line
        )
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):  # not Linux: the lifetime peak only
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak


def reset_peak_memory() -> None:
    """Start a new peak-RSS measurement (Linux: /proc/self/clear_refs, value 5)."""
    with contextlib.suppress(OSError):  # elsewhere peaks are lifetime peaks
        Path("/proc/self/clear_refs").write_text("5")


def procfile_command(process: str) -> list[str]:
    """The Procfile's command for `process` (e.g. "web"), as argv."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return shlex.split(command.strip())
    raise LookupError(f"no {process}: line in {ROOT / 'Procfile'}")


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for a server that needs $PORT rather than port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
