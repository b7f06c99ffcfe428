"""Drift, named: what saved plans (`terraform show -json PLAN`) would change, resource by resource.

Between deploys, a plan of a deployed environment must show no changes. A plan JSON lists every
resource in `resource_changes` with its `actions`; anything but `no-op` (or a data source `read`)
is drift. `resource_drift` says what Terraform saw changed outside it while refreshing, which is
usually the cause, so each drifted resource is reported with both. Plans are read by
`plan_json.load_plan`, the reader the adoption plan gate shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counterstack.plan_json import changed_attributes

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
                attributes=tuple(changed_attributes(change)),
                changed_outside=outside.get(entry["address"]),
            )
        )
    return drifted


def plan_label(path: Path | str) -> str:
    """How a plan file is named in the report: its file name without `.json`."""
    return Path(path).name.removesuffix(".json")
