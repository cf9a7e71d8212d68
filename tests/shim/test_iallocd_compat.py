"""The shim runs on the masters' Python (3.7 on Debian buster) with the standard library only."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import pytest

from tests.shim.fakes import SHIM

BIN = os.path.dirname(sys.executable)


def tool(name: str) -> str:
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        pytest.skip(f"{name} is not installed in the venv (pip install -e '.[test]')")
    return path


def test_shim_vermin_python37_compatible():
    result = subprocess.run(
        [tool("vermin"), "-t=3.7-", "--no-tips", "--violations", str(SHIM)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shim_parses_with_python37_grammar():
    ast.parse(SHIM.read_text(), filename=str(SHIM), feature_version=(3, 7))


def test_shim_imports_standard_library_only():
    tree = ast.parse(SHIM.read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert modules
    assert {m.split(".")[0] for m in modules} <= sys.stdlib_module_names


def test_shim_installable_as_ganeti_iallocator():
    assert "." not in SHIM.name  # Ganeti looks iallocators up by a plain name
    assert os.access(SHIM, os.X_OK)
    # no PATH needed; isolated from PYTHON* variables and site-packages (it needs neither)
    assert SHIM.read_text().startswith("#!/usr/bin/python3 -IS\n")


def test_shim_lint_clean_for_python37_target():
    ruff = tool("ruff")
    flags = ["--isolated", "--line-length", "110", "--target-version", "py37"]
    rules = ["--select", "E,F,I,B,PIE,UP,C4,RUF100"]
    check = subprocess.run([ruff, "check", *flags, *rules, str(SHIM)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run([ruff, "format", "--check", *flags, str(SHIM)], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_shim_linted_as_python37_code():
    # ruff reads shim/ruff.toml for the shim: its own target, so no fix modernises it past 3.7
    result = subprocess.run(
        [tool("ruff"), "check", "--show-settings", str(SHIM)], capture_output=True, text=True, check=True
    )
    assert re.search(r"^linter\.unresolved_target_version\s*=\s*3\.7$", result.stdout, re.M), result.stdout[
        :2000
    ]
    lint = subprocess.run([tool("ruff"), "check", str(SHIM)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
