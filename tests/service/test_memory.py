"""The malloc settings of engine processes (app/service/memory.py)."""

from __future__ import annotations

import platform

import pytest

from app.service import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_takes_the_settings() -> None:
    assert memory.tune_malloc() is True
    memory.release_memory()


def test_without_glibc_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_libc", lambda: None)
    assert memory.tune_malloc() is False
    memory.release_memory()  # a no-op, not an error
