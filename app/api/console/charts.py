"""What the console pages draw: usage bars, the decisions-per-hour chart and the free-resource
lines (inline SVG built here, no JavaScript) and short human forms of ages and sizes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any

from app.store.history import HourCount, StatePoint

HOURS = 24
CHART_WIDTH, CHART_HEIGHT, AXIS = 960, 140, 18


@dataclass(frozen=True)
class Usage:
    """Used and total of one resource (MiB unless `unit` says otherwise), and the part of the
    free that is kept for N+1 failovers."""

    used: int
    total: int
    reserved: int = 0
    unit: str = "MiB"

    @property
    def free(self) -> int:
        return self.total - self.used

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.total if self.total > 0 else 0.0

    @property
    def reserved_percent(self) -> float:
        return 100.0 * self.reserved / self.total if self.total > 0 else 0.0

    def show(self, value: int) -> str:
        return mib(value) if self.unit == "MiB" else f"{value} {self.unit}"


def usage(groups: Iterable[dict[str, Any]], resource: str) -> Usage:
    """Used (total - free) and total `resource` ("memory" or "disk") over the groups' online nodes."""
    rows = list(groups)
    total = sum(int(g[f"total_{resource}"]) for g in rows)
    free = sum(int(g[f"free_{resource}"]) for g in rows)
    return Usage(total - free, total)


def vcpu_usage(groups: Iterable[dict[str, Any]]) -> Usage | None:
    """vCPUs in use against what the groups' ipolicies allow (None: no limit known)."""
    rows = [g for g in groups if g.get("max_vcpus")]
    if not rows:
        return None
    return Usage(
        sum(int(g["used_vcpus"]) for g in rows), sum(int(g["max_vcpus"]) for g in rows), unit="vCPUs"
    )


def bars(group: dict[str, Any]) -> dict[str, Usage]:
    """A group summary's bars: memory (with its N+1 reserve), disk, vCPUs against what the
    ipolicy allows, spindles where exclusive storage counts them."""
    memory, free = int(group["total_memory"]), int(group["free_memory"])
    reserve = max(0, min(int(group.get("reserved_memory", 0)), free))
    out = {
        "memory": Usage(memory - free, memory, reserve),
        "disk": usage([group], "disk"),
    }
    vcpus = vcpu_usage([group])
    if vcpus is not None:
        out["vcpus"] = vcpus
    if group.get("total_spindles"):
        spindles = int(group["total_spindles"])
        out["spindles"] = Usage(spindles - int(group["free_spindles"]), spindles, unit="spindles")
    return out


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


def hourly_counts(hours: Iterable[HourCount], now: datetime) -> list[tuple[int, int]]:
    """(decisions, failed) per hour of the last HOURS hours, oldest first; the last is the current."""
    counts = [(0, 0)] * HOURS
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    for hour in hours:
        slot = int((hour.start - start).total_seconds() // 3600)
        if 0 <= slot < HOURS:
            counts[slot] = (hour.decisions, hour.failed)
    return counts


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


def free_series(points: Iterable[StatePoint], resource: str) -> list[tuple[datetime, float]]:
    """The cluster's free `resource` ("memory" or "disk"), in percent of its total, after each decision."""
    out = []
    for point in points:
        groups = point.summary.get("groups", [])
        total = sum(int(g[f"total_{resource}"]) for g in groups)
        if total > 0:
            out.append((point.time, 100.0 * sum(int(g[f"free_{resource}"]) for g in groups) / total))
    return out


def free_chart(series: dict[str, list[tuple[datetime, float]]], now: datetime) -> str:
    """An SVG line chart of `free_series` (0-100 %) over the last HOURS hours, one line per name
    (the CSS class of its line); each point's time and value in its title."""
    start = now - timedelta(hours=HOURS)
    plot = CHART_HEIGHT - AXIS
    span = HOURS * 3600.0

    def x(t: datetime) -> float:
        return CHART_WIDTH * max(0.0, (t - start).total_seconds()) / span

    def y(value: float) -> float:
        return plot * (1 - value / 100.0)

    parts = [
        f'<svg class="chart lines" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img"'
        f' aria-label="free memory and disk, last {HOURS} hours" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="0" y1="{plot}" x2="{CHART_WIDTH}" y2="{plot}" class="axis"/>',
        '<text x="2" y="12" class="label">100 %</text>',
    ]
    for name, points in series.items():
        if not points:
            continue
        # a step line: the state holds until the next decision, and until now after the last
        steps = [(x(t), y(v)) for t, v in points]
        path = [f"{steps[0][0]:.1f},{steps[0][1]:.1f}"]
        for (_, y0), (x1, y1) in zip(steps, steps[1:], strict=False):
            path += [f"{x1:.1f},{y0:.1f}", f"{x1:.1f},{y1:.1f}"]
        path.append(f"{CHART_WIDTH:.1f},{steps[-1][1]:.1f}")
        parts.append(f'<polyline class="{escape(name)}" points="{" ".join(path)}"/>')
        for t, v in points:
            title = escape(f"{t:%H:%M} UTC: {v:.1f} % {name} free")
            dot = f'cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5"'
            parts.append(f'<circle class="{escape(name)}" {dot}><title>{title}</title></circle>')
    for i in range(0, HOURS, 6):
        hour = (start + timedelta(hours=i)).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        parts.append(f'<text x="{x(hour):.1f}" y="{CHART_HEIGHT - 3}" class="label">{hour:%H}:00</text>')
    parts.append("</svg>")
    return "".join(parts)
