"""`python -m bench.readme REPORT.md`: README's performance table, read off a `make bench`
report's side-by-side table (the rows README quotes, in its order); Markdown on stdout."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.report import CASE_COLUMNS, markdown_row, table

# (what README calls it, nodes, mix, request, capacity checks)
ROWS = (
    ("allocate drbd, 20 nodes", "20", "drbd", "allocate drbd", "off"),
    ("allocate drbd, 1000 nodes", "1000", "drbd", "allocate drbd", "off"),
    ("allocate drbd, 2000 nodes", "2000", "drbd", "allocate drbd", "off"),
    ("node-evacuate, 500 nodes", "500", "drbd", "node-evacuate all", "off"),
    ("node-evacuate, 1000 nodes", "1000", "drbd", "node-evacuate all", "off"),
    ("change-group of 5, 500 nodes", "500", "drbd", "change-group 5", "off"),
    ("change-group of 5, 1000 nodes", "1000", "drbd", "change-group 5", "off"),
    ("multi-allocate of 3, 1000 nodes", "1000", "drbd", "multi-allocate 3", "off"),
    ("allocate with capacity checks, 100 nodes, 30% plain", "100", "mixed", "allocate drbd", "on"),
    ("allocate with capacity checks, 1000 nodes, 30% plain", "1000", "mixed", "allocate drbd", "on"),
)
COLUMNS = ("request", "hail", "`python -m app.cli`", "shim + service")


def cases(report: str) -> dict[tuple[str, ...], dict[str, str]]:
    """The side-by-side table's rows by (nodes, mix, request, capacity checks)."""
    lines = report.splitlines()
    start = lines.index(markdown_row(CASE_COLUMNS)) + 2
    out: dict[tuple[str, ...], dict[str, str]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        row = dict(zip(CASE_COLUMNS, line.strip("| ").split(" | "), strict=True))
        out[(row["nodes"], row["mix"], row["request"], row["capacity checks"])] = row
    return out


def _mb(cell: str) -> str:
    if not cell[-1:].isdigit():
        return ""
    bound, mib = ("≥ " if cell.startswith("≥") else ""), float(cell.lstrip("≥ "))
    return f", {bound}{mib / 1024:.1f} GB" if mib >= 1024 else f", {bound}{mib:.0f} MB"


def _seconds(cell: str) -> str:
    if "skipped" in cell:
        return "not run (too slow on a smaller cluster)"
    if cell.startswith("> "):
        return f"killed after {cell[2:].split()[0]} s"
    return f"{cell} s" if cell[:1].isdigit() else cell


def _speedup(cell: str) -> str:
    return f" ({cell})" if cell != "?" else ""


def readme_table(report: str) -> str:
    found = cases(report)
    rows = []
    for name, *key in ROWS:
        row = found.get(tuple(key))
        if row is None:
            continue
        hail = _seconds(row["hail s"]) + _mb(row["hail MB"])
        ours = _seconds(row["ours s"]) + _speedup(row["speedup"]) + _mb(row["ours MB"])
        e2e = _seconds(row["shim+service s"]) + _speedup(row["e2e speedup"])
        rows.append([name, hail, ours, e2e])
    return table(COLUMNS, rows)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.readme REPORT.md", file=sys.stderr)
        return 2
    print(readme_table(Path(argv[0]).read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
