"""The engine's knobs, and how iallocator parameters (`--key[=value]`) map onto them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.protocol.errors import ParameterError

if TYPE_CHECKING:
    from app.engine.moves.trace import MoveTrace
    from app.engine.placement.search import SearchTrace

DEFAULT_STATIC_KVM_NODE_MEMORY = 4096


@dataclass(frozen=True)
class EngineOptions:
    """What changes decisions; the engine never sees raw parameters."""

    ignore_soft_errors: bool = False
    capacity_checks: bool = True
    restrict_to: tuple[str, ...] | None = None
    static_kvm_node_memory: int = DEFAULT_STATIC_KVM_NODE_MEMORY
    # not decision knobs: where an explanation collects the placement searches and the
    # moves of instances (None: not traced)
    trace: SearchTrace | None = field(default=None, compare=False, repr=False)
    move_trace: MoveTrace | None = field(default=None, compare=False, repr=False)


def options_from_params(params: Mapping[str, str | None]) -> tuple[EngineOptions, list[str]]:
    """Build options from parsed parameters; unknown ones are returned as warnings, as hail's
    callers expect an allocator to tolerate extra cluster-level parameters."""
    warnings: list[str] = []
    ignore_soft = False
    capacity = True
    restrict: tuple[str, ...] | None = None
    kvm_mem = DEFAULT_STATIC_KVM_NODE_MEMORY
    for key, value in params.items():
        if key == "ignore-soft-errors":
            ignore_soft = _flag(key, value)
        elif key == "no-capacity-checks":
            capacity = not _flag(key, value)
        elif key == "restrict-allocation-to":
            if not value:
                raise ParameterError(f"--{key}", "expected a comma-separated list of node names")
            restrict = tuple(n for n in value.split(",") if n)
        elif key == "static-kvm-node-memory":
            try:
                kvm_mem = int(value or "")
            except ValueError:
                raise ParameterError(f"--{key}", f"expected an integer (MiB), got {value!r}") from None
            if kvm_mem < 0:
                raise ParameterError(f"--{key}", "must not be negative")
        else:
            warnings.append(f"ignoring unknown parameter --{key}")
    return EngineOptions(ignore_soft, capacity, restrict, kvm_mem), warnings


def _flag(key: str, value: str | None) -> bool:
    if value is None or value.lower() in ("yes", "true", "1", "on"):
        return True
    if value.lower() in ("no", "false", "0", "off"):
        return False
    raise ParameterError(f"--{key}", f"expected no value or yes/no, got {value!r}")
