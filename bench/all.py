"""Run every benchmark and print their tables: `python -m bench.all [--quick] [--only NAME ...] [--readme]`.

--readme also writes the tables into README.md's Performance section (bench/readme.py), so
the README shows exactly what one run printed.

--quick (what `make bench` and CI run) uses small sizes so it finishes in about a minute;
the full run (about 25 minutes on 2 cores) is what the README's Performance section
reports, and also writes docs/latency.png and bench/out/results.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from pathlib import Path

from bench import insight, scale, scifact, slack_load, startup, suggest
from bench.common import OUT, ROOT

SECTIONS = ("scifact", "scale", "startup", "slack", "suggest", "insight")


def machine() -> str:
    """CPU count, model and memory of this machine, for the report's header."""
    model = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024**2:.0f} GiB"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}){memory}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument(
        "--readme", action="store_true", help="write the tables into README.md (every section needed)"
    )
    args = parser.parse_args()
    quick, only = args.quick, args.only
    if args.readme and set(only) != set(SECTIONS):
        parser.error("--readme needs every section (no --only): the README's tables come from one run")
    tables: dict[str, str] = {}
    # Timing is only as good as the machine is quiet: say how busy it was.
    load = f", load average {os.getloadavg()[0]:.1f} at the start" if hasattr(os, "getloadavg") else ""
    parts = [
        f"Measured {datetime.date.today().isoformat()} on {machine()}{load}{' (quick mode)' if quick else ''}."
    ]

    def section(title: str, body: str) -> None:
        parts.append(f"## {title}\n\n{body}")
        print(f"\n## {title}\n\n{body}", flush=True)

    print(parts[0], flush=True)
    if "scifact" in only:
        tables["scifact"] = scifact.run(quick=quick)
        section("Retrieval quality (BEIR SciFact)", tables["scifact"])
    if "scale" in only:
        sizes = [1_000, 10_000] if quick else list(scale.DEFAULT_SIZES)
        text, results = scale.run(sizes, 30 if quick else 300)
        tables["scale"] = text
        section("Speed and scale", text)
        if not quick:
            scale.chart(results, ROOT / "docs" / "latency.png")
    if "startup" in only:
        tables["startup"] = startup.run(0 if quick else 100_000)
        section("Start-up and the answer path", tables["startup"])
    if "slack" in only:
        tables["slack"] = slack_load.run(50 if quick else 500, 10 if quick else 25, 2)
        section("Slack throughput", tables["slack"])
    if "suggest" in only:
        tables["suggest"] = suggest.run(quick=quick)
        section("Autocomplete and suggested prompts", tables["suggest"])
    if "insight" in only:
        tables["insight"] = insight.run(1_000 if quick else 100_000, 90, 5 if quick else 20)
        section("The insight page", tables["insight"])
    if args.readme:
        from bench import readme

        readme.write(readme.render(parts[0], tables, quick=quick))
        print(f"\nwrote the Performance tables into {readme.README}", file=sys.stderr)
    if not quick:
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "results.md").write_text("\n\n".join(parts) + "\n")
        print(f"\nwrote {OUT / 'results.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
