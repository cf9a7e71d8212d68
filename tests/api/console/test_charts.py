"""The console's drawing helpers: usage, sizes, ages, and the decisions-per-hour chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.api.console.charts import (
    HOURS,
    Usage,
    age,
    free_chart,
    free_series,
    hourly_chart,
    hourly_counts,
    mib,
    shorten,
    usage,
)
from app.store.history import HourCount, StatePoint

NOW = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)


def test_usage_sums_groups_used_is_total_minus_free():
    groups = [
        {"total_memory": 4096, "free_memory": 1024, "total_disk": 100, "free_disk": 100},
        {"total_memory": 4096, "free_memory": 3072, "total_disk": 0, "free_disk": 0},
    ]
    assert usage(groups, "memory") == Usage(4096, 8192)
    assert usage(groups, "memory").percent == 50.0 and usage(groups, "memory").free == 4096
    assert usage([], "disk").percent == 0.0


def test_mib_picks_unit():
    assert (mib(512), mib(1536), mib(3 * 1024 * 1024)) == ("512 MiB", "1.5 GiB", "3.0 TiB")


def test_age_and_shorten():
    assert age(None, NOW) == "never"
    assert [age(NOW - timedelta(seconds=s), NOW) for s in (5, 125, 7300, 200000)] == [
        "5 s",
        "2 min",
        "2 h",
        "2 d",
    ]
    assert shorten("abcdef", 4) == "abc…" and shorten(None) == "" and shorten("ab", 4) == "ab"


def test_hourly_counts_places_sql_hours_in_the_last_24():
    hour = NOW.replace(minute=0, second=0, microsecond=0)
    hours = [
        HourCount(hour - timedelta(hours=25), 7, 0),  # too old
        HourCount(hour - timedelta(hours=23), 1, 0),  # the first slot
        HourCount(hour - timedelta(hours=1), 1, 0),
        HourCount(hour, 2, 1),  # the current hour
    ]
    counts = hourly_counts(hours, NOW)
    assert len(counts) == HOURS
    assert counts[-1] == (2, 1) and counts[-2] == (1, 0) and counts[0] == (1, 0)
    assert sum(n for n, _ in counts) == 4


def test_free_series_and_chart_one_step_line_per_resource():
    def point(minutes: int, free: int) -> StatePoint:
        group = {"total_memory": 1000, "free_memory": free, "total_disk": 0, "free_disk": 0}
        return StatePoint(NOW - timedelta(minutes=minutes), "d", {"groups": [group, group]})

    points = [point(120, 800), point(60, 500)]
    memory = free_series(points, "memory")
    assert [v for _, v in memory] == [80.0, 50.0]
    assert free_series(points, "disk") == []  # no disk reported: no line
    svg = free_chart({"memory": memory, "disk": []}, NOW)
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 2
    assert "50.0 % memory free" in svg


def test_hourly_chart_marks_failures_and_escapes():
    counts = [(0, 0)] * (HOURS - 1) + [(3, 1)]
    svg = hourly_chart(counts, NOW)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="failed"') == 1 and "12:00 UTC: 3 decisions, 1 failed" in svg
    assert 'class="failed"' not in hourly_chart([(0, 0)] * HOURS, NOW)
