"""What the console pages draw: usage bars, the decisions-per-hour chart (inline SVG built here,
no JavaScript) and short human forms of ages and sizes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any

HOURS = 24
CHART_WIDTH, CHART_HEIGHT, AXIS = 960, 140, 18


@dataclass(frozen=True)
class Usage:
    """Used and total of one resource, in MiB."""

    used: int
    total: int

    @property
    def free(self) -> int:
        return self.total - self.used

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.total if self.total > 0 else 0.0


def usage(groups: Iterable[dict[str, Any]], resource: str) -> Usage:
    """Used (total - free) and total `resource` ("memory" or "disk") over the groups' online nodes."""
    rows = list(groups)
    total = sum(int(g[f"total_{resource}"]) for g in rows)
    free = sum(int(g[f"free_{resource}"]) for g in rows)
    return Usage(total - free, total)


def mib(value: float) -> str:
    """MiB as Ganeti counts them, in the largest unit that keeps a number of at least 1."""
    for unit, size in (("TiB", 1024.0**2), ("GiB", 1024.0)):
        if abs(value) >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f} MiB"


def age(then: datetime | None, now: datetime) -> str:
    """How long ago, shortly: 45 s, 12 min, 3 h, 2 d; "never" for None."""
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def shorten(text: str | None, length: int = 80) -> str:
    if not text:
        return ""
    return text if len(text) <= length else text[: length - 1] + "…"


def hourly_counts(times: Iterable[tuple[datetime, bool]], now: datetime) -> list[tuple[int, int]]:
    """(decisions, failed) per hour of the last HOURS hours, oldest first; the last is the current."""
    counts = [[0, 0] for _ in range(HOURS)]
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    for created, success in times:
        slot = int((created - start).total_seconds() // 3600)
        if 0 <= slot < HOURS:
            counts[slot][0] += 1
            counts[slot][1] += not success
    return [(n, failed) for n, failed in counts]


def hourly_chart(counts: list[tuple[int, int]], now: datetime) -> str:
    """An SVG bar chart of `hourly_counts`: grey bars, their failed part red, hours on the axis."""
    top = max((n for n, _ in counts), default=0) or 1
    width = CHART_WIDTH / len(counts)
    plot = CHART_HEIGHT - AXIS
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=len(counts) - 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img"'
        f' aria-label="decisions per hour, last {len(counts)} hours" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="0" y1="{plot}" x2="{CHART_WIDTH}" y2="{plot}" class="axis"/>',
        f'<text x="2" y="12" class="label">{top}</text>',
    ]
    for i, (n, failed) in enumerate(counts):
        hour = first + timedelta(hours=i)
        x = i * width + 1
        title = escape(f"{hour:%H}:00 UTC: {n} decisions, {failed} failed")
        height, bad = plot * n / top, plot * failed / top
        parts.append(f"<g><title>{title}</title>")
        parts.append(_bar(x, width - 2, plot, height, "ok"))
        if failed:
            parts.append(_bar(x, width - 2, plot, bad, "failed"))
        parts.append("</g>")
        if i % 6 == 0:
            parts.append(f'<text x="{x:.1f}" y="{CHART_HEIGHT - 3}" class="label">{hour:%H}:00</text>')
    parts.append("</svg>")
    return "".join(parts)


def _bar(x: float, width: float, base: float, height: float, kind: str) -> str:
    box = f'x="{x:.1f}" y="{base - height:.1f}" width="{width:.1f}" height="{height:.1f}"'
    return f'<rect {box} class="{kind}"/>'
