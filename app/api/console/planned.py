"""A cluster page's balancing card: what hbal's plan (POST /clusters/{name}/balance, default
options) would gain on the kept state, per node group. The plan is searched for at most the
count budget and remembered per state, as the group counts are."""

from __future__ import annotations

from typing import Any

from app.api.deps import Service
from app.api.reports import LastState, balance_report, count_budget, known_balance_report
from app.service.errors import EngineError

COMMANDS = 10  # commands shown on the page; the API returns them all
STOPS = {
    "balanced": "already balanced",
    "min-score": "as balanced as the N+1 reserve allows",
    "max-length": "the move limit",
    "min-gain": "the next move would gain less than hbal's --min-gain",
    "no-improvement": "no move lowers the score further",
    "deadline": "the search time: more may be gained",
}


def _group(g: dict[str, Any]) -> dict[str, Any]:
    commands = [c for step in g["steps"] for c in step["commands"]]
    return {
        "group": g["group"],
        "now": g["initial_score"],
        "after": g["final_score"],
        "gain": g["initial_score"] - g["final_score"],
        "moves": len(g["steps"]),
        "jobsets": len(g["jobsets"]),
        "cut": g["stop"] == "deadline",
        "stop": STOPS.get(g["stop"], g["stop"]),
        "commands": commands[:COMMANDS],
        "more": max(0, len(commands) - COMMANDS),
    }


def plan_context(service: Service, plan: dict[str, Any] | None, note: str | None) -> dict[str, Any]:
    """What the balancing card draws (`plan`: the engine's body, or None while it is pending)."""
    groups = [_group(g) for g in plan["groups"]] if plan is not None else None
    return {"plan": groups, "plan_note": note, "budget": count_budget(service)}


async def planned(service: Service, name: str, kept: LastState) -> tuple[dict[str, Any] | None, str | None]:
    """The plan's body, or why there is none now."""
    try:
        found = await balance_report(service, name, kept)
    except EngineError as exc:
        return None, f"The engine could not plan now: {exc}."
    return found.body, None


def known_plan(service: Service, name: str, kept: LastState) -> dict[str, Any] | None:
    found = known_balance_report(service, name, kept)
    return found.body if found is not None else None
