"""iallocator parameters: the `--key[=value]` arguments Ganeti appends after the input file."""

from __future__ import annotations

from collections.abc import Sequence

from app.protocol.errors import ParameterError


def parse_params(args: Sequence[str]) -> dict[str, str | None]:
    """Map `--key` to None and `--key=value` to "value"; a later duplicate wins.

    Raises ParameterError for an argument without a leading `--` or with an empty key."""
    params: dict[str, str | None] = {}
    for arg in args:
        if not arg.startswith("--"):
            raise ParameterError(arg or '""', "expected --key or --key=value")
        key, sep, value = arg[2:].partition("=")
        if not key:
            raise ParameterError(arg, "empty parameter name")
        params[key] = value if sep else None
    return params
