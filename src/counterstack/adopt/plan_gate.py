"""The adoption plan gate: imported objects are kept (no-op or in-place update), nothing destroyed.

Judges `terraform show -json` of a saved plan, as `plan_json.load_plan` reads it. It fails when
an imported object would be created, deleted or replaced, or when anything at all would be
destroyed; otherwise it summarises "N to import, M to change, K to add, 0 to destroy" and lists
each in-place update with the attribute names it changes, for the operator to read before the
apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from counterstack.errors import CounterStackError
from counterstack.plan_json import changed_attributes


class PlanGateError(CounterStackError):
    """The adoption plan would replace or destroy something."""


@dataclass
class GateReport:
    imports: list[str] = field(default_factory=list)
    updates: dict[str, list[str]] = field(default_factory=dict)  # address -> changed attributes
    creates: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    destroys: int = 0

    @property
    def summary(self) -> str:
        return (
            f"{len(self.imports)} to import, {len(self.updates)} to change, "
            f"{len(self.creates)} to add, {self.destroys} to destroy"
        )

    def lines(self) -> list[str]:
        """The summary, then one line per in-place update and per problem."""
        found = [self.summary]
        found += [f"  ~ {address}: {', '.join(names)}" for address, names in self.updates.items()]
        found += [f"  ! {problem}" for problem in self.problems]
        return found


def check_plan(show: dict[str, Any]) -> GateReport:
    """Judge `terraform show -json` of a plan; the report's problems say why it must not apply."""
    report = GateReport()
    for resource in show.get("resource_changes", []):
        if resource.get("mode") != "managed":
            continue
        address, change = resource["address"], resource["change"]
        actions = change.get("actions", [])
        importing = bool(change.get("importing"))
        if importing:
            report.imports.append(address)
        if "delete" in actions:
            report.destroys += 1
            verb = "replaced" if "create" in actions else "destroyed"
            what = "an imported object" if importing else "an object"
            report.problems.append(f"{address}: {what} would be {verb} ({'/'.join(actions)})")
        elif "create" in actions:
            report.creates.append(address)
            if importing:
                report.problems.append(f"{address}: an imported object would be created anew")
        elif "update" in actions:
            report.updates[address] = changed_attributes(change)
    return report


def gate(show: dict[str, Any]) -> GateReport:
    """`check_plan`, raising PlanGateError (with the summary and the reasons) when it fails."""
    report = check_plan(show)
    if report.problems:
        raise PlanGateError(
            f"adoption plan refused ({report.summary}): " + "; ".join(report.problems)
        )
    return report
