"""The package's public surface: what other layers may import."""

from __future__ import annotations

import app.protocol


def test_all_sorted_and_importable() -> None:
    assert app.protocol.__all__ == sorted(app.protocol.__all__)
    for name in app.protocol.__all__:
        assert getattr(app.protocol, name) is not None


def test_all_names_every_model_of_the_input() -> None:
    from app.protocol import request

    models = {
        name
        for name, value in vars(request).items()
        if isinstance(value, type) and value.__module__ == request.__name__ and not name.startswith("_")
    }
    assert models <= set(app.protocol.__all__)
