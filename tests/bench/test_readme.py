"""README's performance table read off a bench report (bench/readme.py)."""

from __future__ import annotations

from bench.readme import readme_table
from bench.report import CASE_COLUMNS, table


def _report(*rows: list[str]) -> str:
    return "# a report\n\n" + table(CASE_COLUMNS, list(rows)) + "\n\n- notes\n"


def test_readme_table_rows_in_readme_order_with_bounds():
    evac = ["1000", "2", "drbd", "node-evacuate all", "off", "> 120", "0.90", "> 133.3x", "0.80",
            "> 150.0x", "0.70", "≥ 478", "162", "≤ 0.34", "n/a"]  # fmt: skip
    small = ["20", "1", "drbd", "allocate drbd", "off", "0.05", "0.14", "0.4x", "0.04", "1.3x", "0.01",
             "20", "40", "2.00", "yes"]  # fmt: skip
    lines = readme_table(_report(evac, small)).splitlines()
    assert lines[0] == "| request | hail | `python -m app.cli` | shim + service |"
    assert lines[2] == "| allocate drbd, 20 nodes | 0.05 s, 20 MB | 0.14 s (0.4x), 40 MB | 0.04 s (1.3x) |"
    assert lines[3] == (
        "| node-evacuate, 1000 nodes | killed after 120 s, ≥ 478 MB | 0.90 s (> 133.3x), 162 MB "
        "| 0.80 s (> 150.0x) |"
    )
    assert len(lines) == 4  # the rows README quotes that the report has, no others
