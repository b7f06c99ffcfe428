"""A promotion round: plan every unit whose dependencies' outputs are settled; the rest wait.

Terragrunt hands a unit its dependencies' outputs as inputs, and a saved plan keeps the inputs it
was planned with (Terraform only warns "Ignoring variable when applying a saved plan" when they
have changed since). So a unit planned in the same round as a dependency that is new (mock
outputs) or whose plan changes an output the unit reads (a renamed function) would apply stale
values. A round plans units in wave order and leaves such a unit, and whatever depends on it, for
the next round, planned once this one is applied. A round whose dependency destroys or replaces
something while an output a waiting unit reads changes would leave that unit pointing at what is
gone between the rounds (the API invoking a deleted function): that is refused, naming the unit,
the output and the staged recipe, unless the promotion says the break is intended.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from counterstack.errors import CounterStackError
from counterstack.plan_json import load_plan
from counterstack.promote import terragrunt_runner
from counterstack.promote.environment import ALL_OUTPUTS, Environment

ROUND_FILE = "round.json"
STAGED_RECIPE = "docs/terragrunt.md#changing-what-another-unit-reads"
_SETTLED = (["no-op"], ["read"])


@dataclass
class Round:
    """What one round planned (unit name: its plan JSON, in apply order) and what waits."""

    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    waiting: dict[str, str] = field(default_factory=dict)  # unit name: why
    settled: list[str] = field(default_factory=list)  # applied earlier in this promotion
    stranding: list[str] = field(default_factory=list)  # refusals, unless --allow-replace

    @property
    def changes(self) -> bool:
        return any(plan_changes(plan) for plan in self.plans.values())


def plan_changes(plan: dict[str, Any]) -> bool:
    """Whether applying the plan changes anything: a resource, or an output another unit reads."""
    resources = (r["change"]["actions"] for r in plan.get("resource_changes", []))
    outputs = (o["actions"] for o in (plan.get("output_changes") or {}).values())
    return any(actions not in _SETTLED for actions in (*resources, *outputs))


def changed_outputs(plan: dict[str, Any], names: frozenset[str] | None) -> list[str]:
    """The outputs among `names` (ALL_OUTPUTS: any) that applying the plan creates or changes."""
    return sorted(
        name
        for name, change in (plan.get("output_changes") or {}).items()
        if (names is ALL_OUTPUTS or name in names) and change.get("actions") not in _SETTLED
    )


def removals(plan: dict[str, Any]) -> list[str]:
    """Managed resources the plan destroys or replaces."""
    return [
        resource["address"]
        for resource in plan.get("resource_changes", [])
        if resource.get("mode") == "managed" and "delete" in resource["change"]["actions"]
    ]


def why_waiting(env: Environment, unit: Path, done: Round) -> tuple[str | None, str | None]:
    """Why `unit` cannot be planned after the units of `done`, and the refusal when waiting
    strands it: (None, None) when it can be planned now."""
    for dependency, names in env.reads(unit).items():
        if dependency.name in done.waiting:
            return f"{dependency.name} waits", None
        if dependency.name in done.settled:
            continue
        plan = done.plans.get(dependency.name)
        changed = changed_outputs(plan, names) if plan is not None else []
        if not changed:
            continue
        outputs = ", ".join(changed)
        reason = f"{dependency.name}'s {outputs} are not applied yet"
        gone = removals(plan)  # type: ignore[arg-type]
        if not gone:
            return reason, None
        refusal = (
            f"{dependency.name} destroys or replaces {gone[0]} while {unit.name} reads its "
            f"{outputs}: {unit.name} would point at what is gone until the next round (stage "
            f"it: {STAGED_RECIPE})"
        )
        return reason, refusal
    return None, None


def plan_round(env: Environment, out_dir: Path, settled: Sequence[str] = ()) -> Round:
    """Plan the round's units into `out_dir` (saved plans, their JSON, and round.json). Units
    `settled` by an earlier round of the same promotion (same checkout, applied since) are not
    planned again."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done = Round(settled=[unit.name for unit in env.units if unit.name in settled])
    for unit in env.units:
        if unit.name in done.settled:
            continue
        reason, refusal = why_waiting(env, unit, done)
        if reason:
            done.waiting[unit.name] = reason
            done.stranding += [refusal] if refusal else []
            continue
        shown = terragrunt_runner.plan([unit], out_dir.resolve())[unit.name]
        done.plans[unit.name] = load_plan(shown, judging="the promotion")
    saved = {"planned": list(done.plans), "settled": done.settled}
    (out_dir / ROUND_FILE).write_text(json.dumps(saved, indent=2) + "\n")
    return done


def saved_round(env: Environment, out_dir: Path) -> Round:
    """The round `plan_round` saved in `out_dir`, its waiting units worked out again from its
    plans; CounterStackError when the files are not all there (an expired artifact)."""
    try:
        saved = json.loads((out_dir / ROUND_FILE).read_text(encoding="utf-8"))
        planned, settled = saved["planned"], saved.get("settled", [])
    except (OSError, ValueError, KeyError, TypeError):
        raise CounterStackError(
            f"no saved round in {out_dir} (run promote plan; an expired artifact is planned again)"
        ) from None
    done = Round(settled=[unit.name for unit in env.units if unit.name in settled])
    for unit in env.units:
        if unit.name in done.settled:
            continue
        reason, refusal = why_waiting(env, unit, done)
        if unit.name in planned:
            if reason:
                raise CounterStackError(
                    f"{out_dir}: {unit.name} was planned while {reason}: plan the round again"
                )
            done.plans[unit.name] = load_plan(out_dir / f"{unit.name}.json", judging="the apply")
            continue
        if not reason:
            raise CounterStackError(f"{out_dir}: {unit.name} was not planned in this round")
        done.waiting[unit.name] = reason
        done.stranding += [refusal] if refusal else []
    return done
