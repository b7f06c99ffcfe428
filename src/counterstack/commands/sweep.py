"""`counterstack sweep`: delete what crashed runs left behind, by name prefix."""

import argparse

from counterstack.commands import options
from counterstack.credentials import DEFAULT_REGION
from counterstack.harness.sweep import sweep
from counterstack.harness.target import Target, aws_target


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="delete leftovers of crashed test runs (resources named with a prefix)",
        description="Delete HTTP APIs, Lambda functions, log groups, IAM roles and DynamoDB "
        "tables whose names start with --prefix. Tables with deletion protection are skipped.",
    )
    parser.add_argument(
        "--prefix",
        required=True,
        type=options.sweep_prefix,
        help="name prefix of the resources to delete, e.g. ct-",
    )
    parser.add_argument(
        "--older-than",
        type=options.duration,
        default=None,
        help="only resources created longer ago than this (30m, 2h, 1d)",
    )
    parser.add_argument(
        "--endpoint", default=None, help="sweep a local account at this URL instead of AWS"
    )
    parser.add_argument(
        "--region",
        type=options.region,
        default=None,
        help="AWS region (default: the credential chain's, else eu-west-1)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.endpoint:
        target = Target("local", args.region or DEFAULT_REGION, args.endpoint.rstrip("/"))
    else:
        target = aws_target(args.region)
    results = sweep(target.client, args.prefix, args.older_than, dry_run=args.dry_run)
    for result in results:
        print(f"{result.outcome:<40} {result.resource}")
    failed = [r for r in results if r.outcome.startswith("failed")]
    print(f"{len(results)} resource(s) matched {args.prefix!r}; {len(failed)} failed")
    return 1 if failed else 0
