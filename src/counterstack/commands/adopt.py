"""`counterstack adopt`: take over a running deployment into live/<env> without replacing anything.

Three uses, one verb:
  counterstack adopt ENV_DIR [--endpoint URL] [--region R] [--api-id ID]
                    [--counter-key ID --counter-attribute NAME] [--plan] [--json] [--write]
  counterstack adopt --removed-from OLD_ROOT_DIR_OR_SHOW_JSON
  counterstack adopt --check-plan PLAN_SHOW_JSON [--check-plan ...]
"""

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from counterstack.adopt.account import account_clients
from counterstack.adopt.discover import Adoption, discover
from counterstack.adopt.discover_counter import (
    ATTRIBUTE_VARIABLE,
    DEFAULT_ATTRIBUTE,
    DEFAULT_KEY,
    KEY_ATTRIBUTE,
    KEY_VARIABLE,
    MAX_ATTRIBUTE_BYTES,
    MAX_KEY_BYTES,
)
from counterstack.adopt.environment import read_environment
from counterstack.adopt.plan_gate import gate
from counterstack.adopt.preview import preview
from counterstack.adopt.removed import (
    read_show_json,
    removed_addresses,
    render_removed,
    unadopted_resources,
)
from counterstack.adopt.write import write_adoption
from counterstack.commands import options
from counterstack.errors import CounterStackError
from counterstack.plan_json import load_plan, parse_plan

COLUMNS = ("unit", "address", "id", "action", "reason")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "adopt",
        help="take over an existing deployment into live/<env> (import, never replace)",
        description="List, for every object the units of ENV_DIR would create, whether it "
        "already exists (import, with its import id), is missing (create) or cannot be taken "
        "over as it is (conflict). Dry run unless --write. Exit 2 on conflicts.",
    )
    parser.add_argument("env_dir", nargs="?", type=Path, help="environment folder, e.g. live/prod")
    parser.add_argument("--endpoint", default=None, help="a local account at this URL, not AWS")
    parser.add_argument(
        "--region", type=options.region, default=None, help="default: env.hcl's aws_region"
    )
    parser.add_argument("--api-id", default=None, help="the HTTP API to adopt when names repeat")
    parser.add_argument(
        "--counter-key",
        type=counter_name(KEY_VARIABLE, MAX_KEY_BYTES),
        default=None,
        metavar="ID",
        help=f'the id of the item holding the count (default "{DEFAULT_KEY}")',
    )
    parser.add_argument(
        "--counter-attribute",
        type=counter_name(ATTRIBUTE_VARIABLE, MAX_ATTRIBUTE_BYTES),
        default=None,
        metavar="NAME",
        help=f'the attribute that holds the count (default "{DEFAULT_ATTRIBUTE}")',
    )
    parser.add_argument(
        "--plan",
        action="store_true",
        help="also plan the adoption (Terraform, in a scratch copy of the tree; reads only) and "
        "list the in-place changes the apply will make, with their values",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--write",
        action="store_true",
        help="write ENV_DIR/<unit>/imports.tf and ENV_DIR/adopted.hcl",
    )
    parser.add_argument(
        "--removed-from",
        type=Path,
        default=None,
        metavar="OLD_ROOT",
        help="print `removed` blocks for an old root (its folder, or `terraform show -json`)",
    )
    parser.add_argument(
        "--check-plan",
        type=Path,
        action="append",
        default=None,
        metavar="PLAN_JSON",
        help="plan gate: `terraform show -json` of an adoption plan (- for stdin); exit 2 when "
        "it is not a plan, or an imported object would be created, replaced or deleted, or "
        "anything destroyed",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.removed_from is not None:
        show = read_show_json(args.removed_from)
        addresses = removed_addresses(show)
        if not addresses:
            raise CounterStackError(f"{args.removed_from}: the state holds no resources")
        unadopted = unadopted_resources(show)
        for address in unadopted:
            print(f"not adopted by any unit, unmanaged once removed: {address}", file=sys.stderr)
        print(render_removed(addresses, unadopted), end="")
        return 0
    if args.check_plan:
        for source in args.check_plan:
            if str(source) == "-":
                show = parse_plan(sys.stdin.read(), "stdin", judging="the adoption")
            else:
                show = load_plan(source, judging="the adoption")
            for line in gate(show).lines():
                print(line)
        return 0
    if args.env_dir is None:
        raise CounterStackError("give ENV_DIR (e.g. live/prod), --removed-from or --check-plan")
    env = read_environment(args.env_dir)
    region = args.region or env.region
    client = account_clients(region, args.endpoint)
    counter = None
    if args.counter_key is not None or args.counter_attribute is not None:
        counter = (args.counter_key or DEFAULT_KEY, args.counter_attribute or DEFAULT_ATTRIBUTE)
    adoption = discover(env, client, api_id=args.api_id, region=region, counter=counter)
    planned = None
    if args.plan and not adoption.conflicts:
        planned = preview(replace(env, region=region), adoption, args.endpoint)
    if args.json:
        body = adoption.as_json()
        if planned is not None:
            body["plan"] = planned.as_json()
        print(json.dumps(body, indent=2))
    else:
        print_table(adoption)
        for line in planned.lines() if planned is not None else []:
            print(line)
    if adoption.conflicts:
        raise CounterStackError(conflict_message(adoption))
    if planned is not None and planned.report.problems:
        problems = "; ".join(planned.report.problems)
        raise CounterStackError(f"adoption plan refused ({planned.report.summary}): {problems}")
    if args.write:
        report_written(env.dir, adoption)
    return 0


def counter_name(variable: str, limit: int) -> Callable[[str], str]:
    """An argparse type: a value the handler accepts in `variable` (1-`limit` bytes, not blank,
    and an attribute is not the table's key)."""

    def parse(value: str) -> str:
        if not value.strip() or len(value.encode("utf-8")) > limit:
            raise argparse.ArgumentTypeError(f"must be 1-{limit} bytes and not blank")
        if variable == ATTRIBUTE_VARIABLE and value == KEY_ATTRIBUTE:
            raise argparse.ArgumentTypeError(f"cannot be the table's key attribute {KEY_ATTRIBUTE}")
        return value

    return parse


def print_table(adoption: Adoption) -> None:
    rows: list[Any] = [COLUMNS, *[[getattr(r, c) for c in COLUMNS] for r in adoption.resources]]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS) - 1)]
    for row in rows:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, str(row[-1])]).rstrip())
    for unit, inputs in sorted(adoption.inputs.items()):
        for name, value in sorted(inputs.items()):
            print(f"input {unit}.{name} = {json.dumps(value)}")


def conflict_message(adoption: Adoption) -> str:
    reasons = "; ".join(f"{row.unit} {row.address}: {row.reason}" for row in adoption.conflicts)
    return f"{len(adoption.conflicts)} conflict(s), nothing written: {reasons}"


def report_written(env_dir: Path, adoption: Adoption) -> None:
    changed = write_adoption(env_dir, adoption)
    for path in changed:
        print(f"{'wrote' if path.is_file() else 'deleted'} {path}", file=sys.stderr)
    if not changed:
        nothing = "nothing to adopt" if not adoption.imports else "adopted already"
        print(f"{env_dir}: {nothing}: nothing changed", file=sys.stderr)
