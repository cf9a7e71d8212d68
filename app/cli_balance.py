"""`python -m app.cli balance FILE [hbal flags]`: hbal's plan for the cluster of an iallocator
document, with no service. Prints the plan as JSON, or with -C the commands as hbal -C does.

Flags are hbal's (man/hbal.rst): -l/--max-length, -g/--min-gain, --min-gain-limit,
-e/--min-score, --no-disk-moves, --no-instance-moves, --restricted-migration, --evac-mode,
--ignore-soft-errors, --select-instances, --exclude-instances, --exclusion-tags, -G/--group,
-O/--offline (repeatable or comma-separated), --static-kvm-node-memory; and iallocd's own
--max-seconds S: stop the search after S seconds with the plan so far (stop "deadline").
"""

from __future__ import annotations

import argparse
import sys

import orjson

from app.engine import BalanceOptions, GroupPlan, format_commands
from app.protocol.errors import IallocdError


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def _names(text: str) -> tuple[str, ...]:
    return tuple(n for n in text.split(",") if n)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app.cli balance", description="hbal's plan for a document")
    p.add_argument("file", help="iallocator input document (JSON), - for stdin")
    p.add_argument("-l", "--max-length", type=int, default=-1)
    p.add_argument("-g", "--min-gain", type=float, default=0.01)
    p.add_argument("--min-gain-limit", type=float, default=0.1)
    p.add_argument("-e", "--min-score", type=float, default=1e-9)
    p.add_argument("--no-disk-moves", action="store_true")
    p.add_argument("--no-instance-moves", action="store_true")
    p.add_argument("--restricted-migration", action="store_true")
    p.add_argument("--evac-mode", action="store_true")
    p.add_argument("--ignore-soft-errors", action="store_true")
    p.add_argument("--select-instances", type=_names, default=())
    p.add_argument("--exclude-instances", type=_names, default=())
    p.add_argument("--exclusion-tags", type=_names, default=())
    p.add_argument("-G", "--group", default=None)
    p.add_argument("-O", "--offline", type=_names, action="extend", default=[], help="nodes taken as offline")
    p.add_argument("--static-kvm-node-memory", type=int, default=4096)
    p.add_argument(
        "--max-seconds", type=_seconds, default=None, help="iallocd's own: the plan so far after this long"
    )
    p.add_argument("-C", "--print-commands", action="store_true", help="print hbal -C's commands")
    return p


def options_of(args: argparse.Namespace) -> BalanceOptions:
    return BalanceOptions(
        max_length=args.max_length,
        min_gain=args.min_gain,
        min_gain_limit=args.min_gain_limit,
        min_score=args.min_score,
        disk_moves=not args.no_disk_moves,
        instance_moves=not args.no_instance_moves,
        restricted_migration=args.restricted_migration,
        evac_mode=args.evac_mode,
        ignore_soft_errors=args.ignore_soft_errors,
        select_instances=args.select_instances,
        exclude_instances=args.exclude_instances,
        group=args.group,
    )


def report(plans: list[GroupPlan]) -> str:
    """hbal's text: per group the steps, the score change and the commands."""
    lines = []
    for plan in plans:
        lines += [f"Selected node group: {plan.group}", f"Initial score: {plan.initial_score:.8f}"]
        for k, s in enumerate(plan.steps, 1):
            old, new = ":".join(s.old_nodes), ":".join(s.new_nodes)
            lines.append(f"  {k:3d}. {s.instance} {old} => {new} {s.score:12.8f} a={s.short}")
        if plan.steps:
            lines.append(f"Cluster score improved from {plan.initial_score:.8f} to {plan.final_score:.8f}")
        else:
            lines.append("No solution found")
        lines.append(format_commands(plan.steps, plan.jobsets))
    return "\n".join(lines)


def main_balance(argv: list[str]) -> int:
    from app.service.balance import Changes, plan_document

    args = parser().parse_args(argv)
    try:
        with open(args.file, "rb") if args.file != "-" else sys.stdin.buffer as f:
            data = f.read()
    except OSError as exc:
        print(f"iallocd: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        plans, body = plan_document(
            data,
            options_of(args),
            static_kvm_node_memory=args.static_kvm_node_memory,
            changes=Changes(args.exclusion_tags, tuple(args.offline)),
            seconds=args.max_seconds,
        )
    except IallocdError as exc:
        print(f"iallocd: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.print_commands:
        sys.stdout.write(report(plans))
    else:
        sys.stdout.buffer.write(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
    return 0
