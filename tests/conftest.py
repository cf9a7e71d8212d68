"""Suite-wide rules.

In CI (`CI` set, as .ci/run is run) nothing may be skipped for want of a tool: `make test`
installs hail, PostgreSQL and Ganeti's own code, so a skip there means a broken install step
that would otherwise pass unnoticed (a green run that tested nothing).
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {report.longrepr}"
