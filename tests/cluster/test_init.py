"""The package's public surface: what other layers may import."""

from __future__ import annotations

import app.cluster


def test_all_sorted_and_importable() -> None:
    assert app.cluster.__all__ == sorted(app.cluster.__all__)
    for name in app.cluster.__all__:
        assert getattr(app.cluster, name) is not None
