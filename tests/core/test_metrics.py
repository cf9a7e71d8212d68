"""Metrics: placement failures by hail's failure mode names."""

from __future__ import annotations

from app.core.metrics import Metrics


def test_placement_failed_counts_each_fail_mode_once():
    metrics = Metrics()
    metrics.placement_failed("Request failed: FailMem: 3, FailN1: 2, FailMem: 1")
    metrics.placement_failed("no group can take the instance")
    text = metrics.render()[0].decode()
    assert 'iallocd_failures_total{reason="placement:FailMem"} 1.0' in text
    assert 'iallocd_failures_total{reason="placement:FailN1"} 1.0' in text
    assert 'iallocd_failures_total{reason="placement:other"} 1.0' in text


def test_metrics_registries_are_separate():
    first, second = Metrics(), Metrics()
    first.failures.labels(reason="x").inc()
    assert b'reason="x"' not in second.render()[0]
