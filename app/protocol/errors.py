"""Errors raised for bad input.

    IallocdError                 root of every error iallocd raises on purpose
    └── InputError               the request document or a parameter is wrong
        ├── DocumentError        the document is not valid JSON or breaks the protocol schema
        └── ParameterError       a --key[=value] parameter is malformed

Each InputError names the place (a dotted JSON path, or the parameter) and the reason.
A placement that cannot be made is never an error: it is a `success: false` answer.
"""

from __future__ import annotations


class IallocdError(Exception):
    """Root of iallocd's own errors."""


class InputError(IallocdError):
    """Bad input: `path` names the field (dotted JSON path or parameter), `reason` says why."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class DocumentError(InputError):
    """The request document is not JSON or does not follow the iallocator protocol.

    `errors` lists every problem found as (path, reason) pairs; the first one is the message."""

    def __init__(self, path: str, reason: str, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(path, reason)
        self.errors = errors if errors else [(path, reason)]


class ParameterError(InputError):
    """A command-line style parameter (`--key[=value]`) is malformed."""
