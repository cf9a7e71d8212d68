"""The package's public surface: what other layers may import."""

from __future__ import annotations

import app.engine


def test_all_sorted_and_importable() -> None:
    assert app.engine.__all__ == sorted(app.engine.__all__)
    for name in app.engine.__all__:
        assert getattr(app.engine, name) is not None
    assert sorted(app.engine._MODULES) == app.engine.__all__  # each name has its module


def test_balance_is_the_function_whatever_loaded_first() -> None:
    import subprocess
    import sys

    code = "import app.engine.balance.jobs; from app.engine import balance; print(callable(balance))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"  # not the subpackage of the same name


def test_names_load_lazily() -> None:
    import subprocess
    import sys

    code = "import sys, app.engine; app.engine.run_request; print('app.engine.balance.plan' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # the balancer is not loaded to answer a request


def test_callers_outside_the_engine_import_only_its_surface() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    outside = [p for p in (root / "app").rglob("*.py") if "engine" not in p.relative_to(root / "app").parts]
    offending = [str(p) for p in outside if "app.engine." in p.read_text()]
    assert offending == []
