"""Prometheus metrics, in a registry of their own per app (tests build many apps in one process)."""

from __future__ import annotations

import re

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

# Seconds; an allocation on a 2000-node cluster may take seconds, a small one milliseconds.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
# hail words placement failures with its FailMode names (FailMem, FailDisk, FailN1, ...).
_FAIL_MODE = re.compile(r"\bFail[A-Z][A-Za-z0-9]*\b")


class Metrics:
    """The service's counters and histograms; labels are route templates, never raw paths."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "iallocd_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "iallocd_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.allocate_seconds = Histogram(
            "iallocd_allocate_duration_seconds",
            "Answered iallocator requests: latency from body received to answer, by type and cluster",
            ["request_type", "cluster"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.engine_seconds = Histogram(
            "iallocd_engine_duration_seconds",
            "Time spent in the engine (answer) by request type",
            ["request_type"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.failures = Counter(
            "iallocd_failures",
            "Failures by reason: an error code, or placement:<FailMode> for a success:false answer",
            ["reason"],
            registry=self.registry,
        )

        self.auth_failures = Counter(
            "iallocd_auth_failures",
            "Failed authentications: a missing or unknown token (API, /metrics, console login)",
            registry=self.registry,
        )
        self.auth_refused = Counter(
            "iallocd_auth_rate_limited",
            "Requests refused (429) because their client address failed to authenticate too often",
            registry=self.registry,
        )

    def placement_failed(self, info: str) -> None:
        """Count a success:false answer once per failure mode its info names."""
        modes = sorted(set(_FAIL_MODE.findall(info))) or ["other"]
        for mode in modes:
            self.failures.labels(reason=f"placement:{mode}").inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
