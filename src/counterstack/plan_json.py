"""Saved plans as `terraform show -json PLANFILE` prints them: the one reader, and what changes.

`counterstack drift` and the adoption plan gate (`counterstack adopt --check-plan`) judge the same
JSON, so they read it the same way: `load_plan` refuses what is not a plan to judge (a missing
file, not JSON, JSON without Terraform's format_version and terraform_version, a plan that
errored, a state's JSON: no planned values) with a CounterStackError that says so, and
`changed_attributes` names what a resource change changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from counterstack.errors import CounterStackError


def load_plan(path: Path | str, *, judging: str = "it") -> dict[str, Any]:
    """The plan JSON at `path`, checked to be one; `judging` says what an errored plan blocks."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CounterStackError(
            f"{path}: no such file (write it with terraform show -json)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CounterStackError(f"{path}: not a JSON plan: {error}") from None
    return parse_plan(text, str(path), judging=judging)


def parse_plan(text: str, source: str, *, judging: str = "it") -> dict[str, Any]:
    """`load_plan` for text read elsewhere (stdin); `source` names it in errors."""
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as error:
        raise CounterStackError(f"{source}: not a JSON plan: {error}") from None
    if (
        not isinstance(plan, dict)
        or "format_version" not in plan
        or "terraform_version" not in plan
    ):
        raise CounterStackError(
            f"{source}: not a plan: write it with terraform show -json PLANFILE"
        )
    if plan.get("errored"):
        raise CounterStackError(
            f"{source}: the plan errored; fix the plan before judging {judging}"
        )
    if "planned_values" not in plan and "resource_changes" not in plan:
        # `terraform show -json` of a state has the same header, and nothing to change
        raise CounterStackError(
            f"{source}: not a plan (a state, or no resource changes at all): write it with "
            "terraform show -json PLANFILE"
        )
    return plan


def changed_attributes(change: dict[str, Any]) -> list[str]:
    """Top-level attributes whose value differs before and after, or becomes unknown.

    Empty for an object created or destroyed: the action says it all. after_unknown holds True for
    a wholly unknown attribute, and nested lists/maps (possibly of False) for blocks: only the
    former is a change of its own.
    """
    before, after = change.get("before"), change.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    unknown = change.get("after_unknown") or {}
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k) or unknown.get(k) is True)


UNKNOWN = "(known after apply)"
SENSITIVE = "(sensitive)"


def attribute_changes(change: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(name, before, after) of each attribute `changed_attributes` names, as the plan shows it:
    an unknown value is UNKNOWN, a sensitive one SENSITIVE (never its value)."""
    before, after = change.get("before") or {}, change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    hidden_before = change.get("before_sensitive") or {}
    hidden_after = change.get("after_sensitive") or {}
    if not isinstance(hidden_before, dict):
        hidden_before = {}
    if not isinstance(hidden_after, dict):
        hidden_after = {}
    found = []
    for name in changed_attributes(change):
        old = SENSITIVE if hidden_before.get(name) is True else before.get(name)
        new = after.get(name)
        if unknown.get(name) is True:
            new = UNKNOWN
        elif hidden_after.get(name) is True:
            new = SENSITIVE
        found.append((name, old, new))
    return found
