"""`python -m bench.tryton` at a tiny size against a real trytond, and its docs section."""

from __future__ import annotations

from pathlib import Path

from bench.tryton_section import SECTION_HEADING, keep_section, splice

from bench import cli, tryton

OTHER = "# Benchmarks\n\n## The run\n\nfigures\n"


def _rows(document: str) -> dict[str, list[str]]:
    """The table's rows by source label."""
    rows = {}
    for line in document.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| Tryton") or line.startswith("| demo POS"):
            rows[cells[0]] = cells
    return rows


def test_splice_replaces_only_the_tryton_section() -> None:
    first = splice(OTHER, f"{SECTION_HEADING}\n\nold figures\n")
    second = splice(first + "\n## Later\n\nkept\n", f"{SECTION_HEADING}\n\nnew figures\n")

    assert second.startswith(OTHER)
    assert "new figures" in second and "old figures" not in second
    assert second.rstrip().endswith("## Later\n\nkept")


def test_a_full_bench_rewrite_keeps_the_last_tryton_figures() -> None:
    old = splice(OTHER, f"{SECTION_HEADING}\n\n| Tryton | 70 |\n")
    rewritten = keep_section(old, "# Benchmarks\n\n## The run\n\nnew run\n")

    assert "new run" in rewritten and "| Tryton | 70 |" in rewritten
    assert keep_section(OTHER, "# fresh\n") == "# fresh\n"  # nothing to keep


def test_reads_the_bulk_inserted_catalogue_in_a_bounded_number_of_calls(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text(OTHER, encoding="utf-8")

    assert tryton.main(["--products", "60", "--page-size", "25", "--output", str(page)]) == 0

    document = page.read_text(encoding="utf-8")
    assert document.startswith(OTHER)
    rows = _rows(document)
    cold, warm = rows["Tryton, 25 a page, cold"], rows["Tryton, 25 a page, warm"]
    # 60 products in pages of 25: 3 pages x (search_read + 2 more warehouses) + warehouses,
    # attributes, price list and web shops once each
    assert cold[1:3] == warm[1:3] == ["60", "13"]
    assert rows["demo POS (SQLite file)"][1:3] == ["60", "none (local file)"]


def test_the_bench_cli_keeps_the_tryton_section_of_the_page_it_rewrites(tmp_path: Path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text(splice(OTHER, f"{SECTION_HEADING}\n\n| Tryton | 65 |\n"), encoding="utf-8")

    assert cli.main(["oversell", "--quick", "--output", str(page)]) == 0

    text = page.read_text(encoding="utf-8")
    assert "### Oversell: a busy day" in text and "figures" not in text
    assert text.rstrip().endswith(f"{SECTION_HEADING}\n\n| Tryton | 65 |")


def test_the_tryton_section_ends_at_the_next_sections_marker() -> None:
    page = splice(OTHER, f"{SECTION_HEADING}\n\nold\n") + "\n<!-- stores:start -->\n## Stores\n"

    replaced = splice(page, f"{SECTION_HEADING}\n\nnew\n")

    assert "<!-- stores:start -->\n## Stores" in replaced and "old" not in replaced
