"""Run every benchmark and print their tables: `python -m bench.all [--quick]`.

--quick (what `make bench` and CI run) uses small sizes so it finishes in a minute or
two; the full run is what the README's Performance section reports.
"""

from __future__ import annotations

import argparse

from bench import scale, scifact, slack_load, startup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    quick = parser.parse_args().quick
    print("## Retrieval quality (BEIR SciFact)\n")
    print(scifact.run(quick=quick))
    print("\n## Speed and scale\n")
    print(scale.run([1_000, 10_000] if quick else list(scale.DEFAULT_SIZES), 30 if quick else 300)[0])
    print("\n## Start-up\n")
    print(startup.run(0 if quick else 100_000))
    print("\n## Slack throughput\n")
    print(slack_load.run(50 if quick else 500, 10 if quick else 25, 2))


if __name__ == "__main__":
    main()
