"""`python -m app.cli FILE [--param[=value]...]`: the engine as an iallocator, no service.

Prints the response on stdout (exit 0, also for `success: false`); bad input gives one
line on stderr and exit status 1. `python -m app.cli cluster ...` manages the registry,
`python -m app.cli balance FILE ...` prints hbal's balancing plan (app/cli_balance.py).
"""

from __future__ import annotations

import gc
import os
import sys

from app.protocol.errors import IallocdError
from app.service.memory import tune_malloc


def one_line(text: str) -> str:
    """`text` with its control characters escaped (a node named "a\\nb" stays on one line)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def main(argv: list[str], retain: list[object] | None = None) -> int:
    """The exit status; the parsed document goes into `retain` if given (see `answer`)."""
    # One short-lived process, and almost no reference cycles: without the cyclic collector,
    # parsing a 2000-node document is several times faster (it rescans every new JSON object).
    gc.disable()
    tune_malloc()
    if argv and argv[0] == "cluster":
        from app.cli_admin import main_admin

        return main_admin(argv[1:])
    if argv and argv[0] == "balance":
        from app.cli_balance import main_balance

        return main_balance(argv[1:])
    if not argv or argv[0].startswith("--"):
        print("usage: python -m app.cli FILE [--param[=value]...]", file=sys.stderr)
        return 2
    from app.service.answer import reply_only

    path, params = argv[0], argv[1:]
    try:
        with open(path, "rb") if path != "-" else sys.stdin.buffer as f:
            data = f.read()
    except OSError as exc:
        print(f"iallocd: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        body, warnings = reply_only(data, params, retain)
    except IallocdError as exc:
        print(f"iallocd: {type(exc).__name__}: {one_line(str(exc))}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line for Ganeti to show, never a traceback
        print(f"iallocd: internal error: {type(exc).__name__}: {one_line(str(exc))}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"iallocd: warning: {one_line(warning)}", file=sys.stderr)
    sys.stdout.buffer.write(body)
    return 0


if __name__ == "__main__":
    kept: list[object] = []
    status = main(sys.argv[1:], kept)
    # The answer is out: end without freeing the document and every module one object at a
    # time (tens of ms for a big cluster). Nothing else is left to write: the CLI's database
    # work (`cluster ...`) is committed before main returns.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)
