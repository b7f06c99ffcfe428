"""`counterstack sweep`: delete what crashed test runs left behind, and nothing else.

Only resources named with --prefix AND marked as a test run's (`harness.mark`) are deleted; the
rest are listed as left alone. Against AWS the account must be named (--account-id) and match
the credentials', as aws-nuke asks for; nothing is deleted without --delete (and, on a terminal,
a yes).
"""

import argparse
import sys

from counterstack.commands import options
from counterstack.credentials import DEFAULT_REGION
from counterstack.errors import CounterStackError
from counterstack.harness.mark import EPHEMERAL_TAG
from counterstack.harness.sweep import (
    BY_HAND,
    UNMARKED_RUN_NAME,
    WOULD_DELETE,
    SweepResult,
    delete,
    plan,
    require_account,
)
from counterstack.harness.target import Target, aws_target


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="delete leftovers of crashed test runs (named with a prefix, marked as a test run's)",
        description="List, and with --delete delete, the HTTP APIs, Lambda functions, log "
        "groups, IAM roles, DynamoDB tables, alarms, SNS topics and KMS aliases (with their "
        f"keys) whose names start with --prefix and that carry the {EPHEMERAL_TAG} tag every "
        "test run puts on what it makes. Anything else is left alone, whatever its name; tables "
        "with deletion protection are skipped.",
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
        "--account-id",
        type=options.account_id,
        default=None,
        help="the 12-digit account to sweep; required on AWS, where the credentials' account "
        "must be this one",
    )
    parser.add_argument(
        "--region",
        type=options.region,
        default=None,
        help="AWS region (default: the credential chain's, else eu-west-1)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--delete",
        action="store_true",
        help="delete what is listed as 'would delete' (on a terminal, after a yes)",
    )
    mode.add_argument("--dry-run", action="store_true", help="list, delete nothing (the default)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    target = _target(args)
    if args.account_id:
        require_account(target.client, args.account_id)
    planned = plan(target.client, args.prefix, args.older_than)
    doomed = sum(result.outcome == WOULD_DELETE for result in planned)
    if not args.delete or not doomed:
        dry = f"dry run: nothing deleted; --delete deletes the {doomed} marked 'would delete'"
        _report(planned, args.prefix, dry if doomed else None)
        return 0
    if sys.stdin.isatty():
        _print(planned)
        answer = input(f"delete the {doomed} resource(s) marked 'would delete'? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    results = delete(target.client, planned)
    _report(results, args.prefix)
    return 1 if any(r.outcome.startswith("failed") for r in results) else 0


def _target(args: argparse.Namespace) -> Target:
    """The local account at --endpoint, or AWS, which only a named account opens."""
    if args.endpoint:
        return Target("local", args.region or DEFAULT_REGION, args.endpoint.rstrip("/"))
    if not args.account_id:
        raise CounterStackError(
            "on AWS, sweep needs --account-id: the 12-digit id of the test account it may clean "
            "(the credentials' account must match)"
        )
    return aws_target(args.region)


def _print(results: list[SweepResult]) -> None:
    for result in results:
        print(f"{result.outcome:<44} {result.resource}")


def _report(results: list[SweepResult], prefix: str, note: str | None = None) -> None:
    """One line a resource, how to remove old unmarked leftovers, and the count last (the
    nightly rehearsal reads it)."""
    _print(results)
    if any(result.outcome == UNMARKED_RUN_NAME for result in results):
        print(BY_HAND)
    if note:
        print(note)
    failed = sum(result.outcome.startswith("failed") for result in results)
    print(f"{len(results)} resource(s) matched {prefix!r}; {failed} failed")
