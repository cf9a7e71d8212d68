"""Haskell's `show` of the few values hail prints inside a message: node groups with their
instance policy (change-group's "no groups for evacuation" text, ALGORITHM.md 5.5)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from app.cluster.model import Group
from app.protocol.request import PERMISSIVE_IPOLICY, IPolicy, ISpec

_POLICIES = {
    "preferred": "AllocPreferred",
    "last_resort": "AllocLastResort",
    "unallocable": "AllocUnallocable",
}
_TEMPLATES = {
    "diskless": "DTDiskless",
    "file": "DTFile",
    "sharedfile": "DTSharedFile",
    "plain": "DTPlain",
    "blockdev": "DTBlock",
    "drbd": "DTDrbd8",
    "rbd": "DTRbd",
    "ext": "DTExt",
    "gluster": "DTGluster",
}
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\", '"': '\\"'}


def show_string(text: str) -> str:
    """A Haskell string literal: non-ASCII and control characters as decimal escapes."""
    out = []
    for k, ch in enumerate(text):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch)}")
            if k + 1 < len(text) and text[k + 1].isdigit():
                out.append("\\&")  # keeps the escape apart from a following digit
    return '"' + "".join(out) + '"'


def show_double(x: float) -> str:
    """`show` of a Double: shortest digits, decimal between 0.1 and 10^7, else d.ddde<n>."""
    if math.copysign(1.0, x) < 0:
        return "-" + show_double(-x)
    if x == 0:
        return "0.0"
    if 0.1 <= x < 1e7:
        text = repr(x)
        return text if "." in text else text + ".0"
    sign, digits, exp = Decimal(repr(x)).as_tuple()
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    return f"{shown[0]}.{shown[1:] or '0'}e{len(digits) + int(exp) - 1}"


def show_list(items: Sequence[str]) -> str:
    return "[" + ",".join(items) + "]"


def _ispec(s: ISpec) -> str:
    return (
        f"ISpec {{iSpecMemorySize = {s.memory_size}, iSpecCpuCount = {s.cpu_count}, "
        f"iSpecDiskSize = {s.disk_size}, iSpecDiskCount = {s.disk_count}, "
        f"iSpecNicCount = {s.nic_count}, iSpecSpindleUse = {s.spindle_use}}}"
    )


def _ipolicy(p: IPolicy) -> str:
    minmax = show_list(
        [
            f"MinMaxISpecs {{minMaxISpecsMinSpec = {_ispec(m.min)}, minMaxISpecsMaxSpec = {_ispec(m.max)}}}"
            for m in p.minmax
        ]
    )
    std = p.std if p.std is not None else PERMISSIVE_IPOLICY.minmax[0].min
    return (
        f"IPolicy {{iPolicyMinMaxISpecs = {minmax}, iPolicyStdSpec = {_ispec(std)}, "
        f"iPolicyDiskTemplates = {show_list([_TEMPLATES[t] for t in p.disk_templates])}, "
        f"iPolicyVcpuRatio = {show_double(p.vcpu_ratio)}, "
        f"iPolicySpindleRatio = {show_double(p.spindle_ratio)}}}"
    )


def show_group(g: Group, index: int, tags: Sequence[str]) -> str:
    return (
        f"Group {{name = {show_string(g.name)}, uuid = {show_string(g.uuid)}, idx = {index}, "
        f"allocPolicy = {_POLICIES[g.policy]}, networks = {show_list([show_string(n) for n in g.networks])}, "
        f"iPolicy = {_ipolicy(g.ipolicy)}, allTags = {show_list([show_string(t) for t in tags])}}}"
    )
