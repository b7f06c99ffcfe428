"""The review of saved plans: a summary a reviewer reads, and the refusals nobody should miss.

Each unit's plan (`terraform show -json`, read by `plan_json.load_plan`) is counted as Terraform
counts it, "N to add, M to change, K to destroy" (a replacement is one add and one destroy), and
every replacement or destroy is listed before anything else. Destroying or replacing what holds the
site's data or its public URL (the table, the API, its stage) is refused unless the promotion says
it is intended (`--allow-replace`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from counterstack.errors import CounterStackError
from counterstack.plan_json import changed_attributes

# Resource types whose loss loses the count (the table) or changes the public URL (API, stage).
PROTECTED_TYPES = {
    "aws_dynamodb_table": "the table (the site's data)",
    "aws_apigatewayv2_api": "the API (its URL is the site's)",
    "aws_apigatewayv2_stage": "the stage (part of the site's URL)",
}
_VERBS = {
    ("delete",): "destroy",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace (create before destroy)",
}


class PromotionRefused(CounterStackError):
    """A plan destroys or replaces a protected resource and nobody said it is intended."""


@dataclass
class UnitReview:
    unit: str
    add: int = 0
    change: int = 0
    destroy: int = 0
    removals: list[str] = field(default_factory=list)  # "address: replace"
    refusals: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)  # "address: attributes"
    creates: list[str] = field(default_factory=list)

    @property
    def counts(self) -> str:
        return f"{self.add} to add, {self.change} to change, {self.destroy} to destroy"


def review_unit(unit: str, plan: dict[str, Any]) -> UnitReview:
    """What the unit's plan would do, resource by resource."""
    review = UnitReview(unit)
    for resource in plan.get("resource_changes", []):
        if resource.get("mode") != "managed":
            continue
        address, actions = resource["address"], tuple(resource["change"].get("actions", []))
        if "delete" in actions:
            verb = _VERBS.get(actions, "/".join(actions))
            review.destroy += 1
            review.add += "create" in actions
            review.removals.append(f"{address}: {verb}")
            if resource.get("type") in PROTECTED_TYPES:
                review.refusals.append(
                    f"{unit}: {address} would {verb.split()[0]} {PROTECTED_TYPES[resource['type']]}"
                )
        elif "create" in actions:
            review.add += 1
            review.creates.append(address)
        elif "update" in actions:
            review.change += 1
            attributes = ", ".join(changed_attributes(resource["change"])) or "in place"
            review.updates.append(f"{address}: {attributes}")
    return review


def summary_markdown(
    environment: str,
    reviews: list[UnitReview],
    allow_replace: bool,
    waiting: Mapping[str, str] | None = None,
    stranding: Sequence[str] = (),
) -> str:
    """The job summary: refusals and every replace/destroy first, then counts, then the rest, then
    the units left for the next round."""
    total = UnitReview("all")
    for review in reviews:
        total.add, total.change = total.add + review.add, total.change + review.change
        total.destroy += review.destroy
    lines = [f"## Plan of {environment}: {total.counts}", ""]
    state = "allowed by --allow-replace" if allow_replace else "refused"
    refusals = [refusal for review in reviews for refusal in review.refusals]
    if refusals:
        lines += [f"**Protected resources destroyed or replaced ({state}):**", ""]
        lines += [f"- {refusal}" for refusal in refusals] + [""]
    if stranding:
        lines += [f"**Units left pointing at what is destroyed ({state}):**", ""]
        lines += [f"- {refusal}" for refusal in stranding] + [""]
    removals = [f"{r.unit}: `{line}`" for r in reviews for line in r.removals]
    if removals:
        lines += ["**Replaced or destroyed:**", ""] + [f"- {line}" for line in removals] + [""]
    lines += ["| Unit | Plan |", "|---|---|"]
    lines += [f"| {review.unit} | {review.counts} |" for review in reviews]
    changes = [f"{r.unit}: `{line}` (update)" for r in reviews for line in r.updates]
    changes += [f"{r.unit}: `{address}` (create)" for r in reviews for address in r.creates]
    if changes:
        lines += ["", "Other changes:", ""] + [f"- {line}" for line in changes]
    if waiting:
        lines += ["", "Planned in the next round, once this one is applied:", ""]
        lines += [f"- {unit}: {why}" for unit, why in waiting.items()]
    return "\n".join(lines) + "\n"


def refuse_unless_allowed(
    reviews: list[UnitReview], allow_replace: bool, stranding: Sequence[str] = ()
) -> None:
    """Raise PromotionRefused naming every protected destroy/replace and every waiting unit left
    pointing at what its dependency destroys, unless it is intended."""
    refusals = [refusal for review in reviews for refusal in review.refusals] + list(stranding)
    if refusals and not allow_replace:
        raise PromotionRefused(
            "refused: " + "; ".join(refusals) + " (if intended, promote with --allow-replace)"
        )
