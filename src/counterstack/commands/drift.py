"""`counterstack drift PLAN_JSON...`: name the resources saved plans would change; exit 1 if any.

The nightly drift job plans each prod unit read-only, writes `terraform show -json` of each plan
to `<unit>.json`, and runs this: a deployed environment must plan no changes between deploys.
"""

import argparse

from counterstack.drift import drifted_resources, plan_label
from counterstack.plan_json import load_plan


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "drift",
        help="name the resources saved plans would change (exit 1 when any would)",
        description="Read plans written by `terraform show -json PLANFILE` and print one line "
        "per resource that is not a no-op: plan, address, action, changed attributes and what "
        "changed outside Terraform. Exit 0 when nothing would change, 1 on drift.",
    )
    parser.add_argument(
        "plans",
        nargs="+",
        metavar="PLAN_JSON",
        help="a plan as JSON, one per unit; its file name (without .json) names it",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plans = [(plan_label(path), load_plan(path, judging="drift")) for path in args.plans]
    drifted = [resource for name, plan in plans for resource in drifted_resources(plan, name)]
    for resource in drifted:
        print(f"drift: {resource}")
    if drifted:
        print(f"{len(drifted)} resource(s) in {len(plans)} plan(s) would change: drift")
        return 1
    print(f"no drift: {len(plans)} plan(s), no changes")
    return 0
