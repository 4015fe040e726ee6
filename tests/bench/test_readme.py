"""bench/readme.py: the README's Performance tables are replaced whole, from one run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import readme

TABLES = {
    "scifact": "| system | nDCG@10 |\n|---|---|\n| careerbot | 0.700 |",
    "scale": "| passages | engine | p50 ms |\n|---|---|---|\n| 1,000 | careerbot | 0.040 |",
    "startup": "| corpus | index build s |\n|---|---|\n| bundled corpus | 0.250 |",
    "slack": "| measure | value |\n|---|---|\n| requests | 100 |",
    "insight": "| store | questions |\n|---|---|\n| SQLite | 1,000 |",
}


def test_render_puts_every_table_under_its_text() -> None:
    full = readme.render("Measured 2026-12-01 on 2 cores.", TABLES, quick=False)
    assert full.startswith("Measured 2026-12-01 on 2 cores. Every table below comes from that one run")
    assert "`python -m bench.all --readme`" in full and "Quick mode" not in full
    positions = [full.index(table) for table in TABLES.values()]
    assert positions == sorted(positions)
    assert readme.CHART in full
    quick = readme.render("Measured today (quick mode).", TABLES, quick=True)
    assert "**Quick mode**" in quick and "--quick --readme" in quick and readme.CHART not in quick
    with pytest.raises(ValueError, match="no table for slack"):
        readme.render("x", {k: v for k, v in TABLES.items() if k != "slack"}, quick=True)


def test_replace_block_keeps_the_rest_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(f"# t\n\n## Performance\n\n{readme.BEGIN}\nold figures\n{readme.END}\n\n## Next\n")
    block = readme.render("Measured.", TABLES, quick=True)
    readme.write(block, path)
    once = path.read_text()
    readme.write(block, path)
    assert path.read_text() == once
    assert (
        "old figures" not in once
        and once.startswith("# t\n\n## Performance\n\n")
        and once.endswith("## Next\n")
    )
    with pytest.raises(ValueError, match="must hold one"):
        readme.replace_block("no markers here", block)


def test_the_readme_has_one_generated_performance_block() -> None:
    text = readme.README.read_text(encoding="utf-8")
    section = text.split("## Performance\n", 1)[1].split("\n## ", 1)[0]
    assert section.count(readme.BEGIN) == 1 and section.count(readme.END) == 1
    generated = section.split(readme.BEGIN, 1)[1].split(readme.END, 1)[0]
    outside = section.replace(generated, "")
    assert "|" not in outside  # every table of the section lies inside the generated block
