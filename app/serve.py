"""Run the service: `python -m app.serve --host 127.0.0.1 --port 8080` (settings from IALLOCD_*)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    # Imported here: every engine process imports this module again, as multiprocessing does with
    # a `python -m` main module, and must not load the whole service with it (seconds per start).
    import uvicorn
    from pydantic import ValidationError

    from app.core.config import Settings, settings_error_line
    from app.core.logging import configure_logging
    from app.main import create_app

    parser = argparse.ArgumentParser(prog="python -m app.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"iallocd: {settings_error_line(exc)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    # One process: the engine pool gives the parallelism, uvicorn workers would split the limits.
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=30,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
