"""The one place where a cluster's default parameters (its policy) meet the ones Ganeti passed."""

from __future__ import annotations

from collections.abc import Sequence

from app.engine import EngineOptions, options_from_params
from app.protocol import parse_params


def engine_options(given: Sequence[str], defaults: Sequence[str] = ()) -> tuple[EngineOptions, list[str]]:
    """Options from the cluster's `defaults` and the request's `given` parameters (which win),
    and a warning per parameter the engine does not know."""
    return options_from_params(parse_params(defaults) | parse_params(given))
