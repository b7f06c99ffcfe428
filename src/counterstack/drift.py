"""Drift, named: what saved plans (`terraform show -json PLAN`) would change, resource by resource.

Between deploys, a plan of a deployed environment must show no changes. A plan JSON lists every
resource in `resource_changes` with its `actions`; anything but `no-op` (or a data source `read`)
is drift. `resource_drift` says what Terraform saw changed outside it while refreshing, which is
usually the cause, so each drifted resource is reported with both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counterstack.errors import CounterStackError

QUIET_ACTIONS = frozenset({("no-op",), ("read",)})
_ACTION_NAMES = {
    ("create",): "create",
    ("update",): "update in place",
    ("delete",): "destroy",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace (create before destroy)",
    ("forget",): "forget",
}


@dataclass(frozen=True)
class DriftedResource:
    """One resource a plan would change: which plan, its address, the action and attributes."""

    plan: str
    address: str
    action: str
    attributes: tuple[str, ...]  # top-level attributes the plan changes
    changed_outside: str | None  # what Terraform saw changed outside it; None: nothing

    def __str__(self) -> str:
        text = f"{self.plan}: {self.address}: {self.action}"
        if self.attributes:
            text += f" ({', '.join(self.attributes)})"
        if self.changed_outside is not None:
            text += f"; changed outside Terraform: {self.changed_outside}"
        return text


def load_plan(path: Path | str) -> dict[str, Any]:
    """A plan JSON file, checked to be one (a clear error for a missing or wrong file)."""
    path = Path(path)
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CounterStackError(
            f"{path}: no such file (write it with terraform show -json)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CounterStackError(f"{path}: not a JSON plan: {error}") from None
    if (
        not isinstance(plan, dict)
        or "format_version" not in plan
        or "terraform_version" not in plan
    ):
        raise CounterStackError(f"{path}: not a plan: write it with terraform show -json PLANFILE")
    if plan.get("errored"):
        raise CounterStackError(f"{path}: the plan errored; fix the plan before judging drift")
    return plan


def changed_attributes(change: dict[str, Any]) -> tuple[str, ...]:
    """Top-level attributes whose value differs before and after (or becomes unknown)."""
    before, after = change.get("before"), change.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ()  # created or destroyed: the action says it all
    unknown = change.get("after_unknown") or {}
    keys = set(before) | set(after)
    return tuple(sorted(k for k in keys if before.get(k) != after.get(k) or unknown.get(k) is True))


def _outside(change: dict[str, Any]) -> str:
    """What a `resource_drift` entry says happened: deleted, or the attributes that changed."""
    if change.get("after") is None:
        return "deleted"
    return ", ".join(changed_attributes(change)) or "changed"


def drifted_resources(plan: dict[str, Any], name: str) -> list[DriftedResource]:
    """Every resource `plan` would change, named, with what changed outside Terraform."""
    outside = {
        entry["address"]: _outside(entry.get("change", {}))
        for entry in plan.get("resource_drift", [])
    }
    drifted = []
    for entry in plan.get("resource_changes", []):
        change = entry.get("change", {})
        actions = tuple(change.get("actions", ()))
        if actions in QUIET_ACTIONS:
            continue
        drifted.append(
            DriftedResource(
                plan=name,
                address=entry["address"],
                action=_ACTION_NAMES.get(actions, "+".join(actions)),
                attributes=changed_attributes(change),
                changed_outside=outside.get(entry["address"]),
            )
        )
    return drifted


def plan_label(path: Path | str) -> str:
    """How a plan file is named in the report: its file name without `.json`."""
    return Path(path).name.removesuffix(".json")
