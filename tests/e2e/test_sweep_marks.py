"""Issue 35, end to end: the sweeper takes a crashed run's stack and never the owner's.

On an offline account of this module's own, the seed's stack is made as its owner made it (boto3,
console style, no mark, a count of 41) and beside it a test run's stack is applied by Terraform
with the harness's mark and abandoned, as a crashed run leaves it. `visitor` matches both. The CLI
is run as a user runs it: another account's id stops it before it lists anything, without
--delete it deletes nothing, and with --delete it takes every resource of the run's stack and
none of the owner's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from adopt_helpers import REGION, TABLE, build_by_hand, inventory, put_count
from adopt_helpers import remove_leftovers as remove_owners_stack

from counterstack.harness.inventory import KINDS, list_resources
from counterstack.harness.mark import EPHEMERAL_TAG
from counterstack.harness.stack import prepare_stack
from counterstack.harness.sweep import sweep
from counterstack.harness.target import Target
from counterstack.local.client import ACCOUNT_ID, RemoteAccount
from counterstack.paths import EXAMPLE_COMPLETE
from counterstack.terraform_cli import terraform_env

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.local_only(
        reason="the seed's real names (visitor-counter, visitorCounter) on an account of its own"
    ),
]

SWEPT = "visitor"  # the seed's names and the run's both start with it
RUN = "visitor-crashed"  # the crashed run's stack prefix
OTHER_ACCOUNT = "210987654321"


def sweep_cli(*args: str, env: Mapping[str, str] = {}) -> subprocess.CompletedProcess:
    """`counterstack sweep` in its own process, stdin not a terminal (as in CI)."""
    environment = {**os.environ, **terraform_env(), **env}
    environment.pop("AWS_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "counterstack.cli", "sweep", "--prefix", SWEPT, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        env=environment,
    )


def names(resources) -> set[tuple[str, str]]:
    return {(r.kind, r.name) for r in resources}


def owners(target: Target) -> set[tuple[str, str]]:
    """What `visitor` matches that is not the run's: the owner's stack."""
    run = names(list_resources(target.client, f"{RUN}-"))
    return names(list_resources(target.client, SWEPT)) - run


def count(target: Target) -> str:
    """The owner's count, where put_count keeps it by default (visitors, count)."""
    key = {"id": {"S": "visitors"}}
    item = target.client("dynamodb").get_item(TableName=TABLE, Key=key)["Item"]
    return item["count"]["N"]


# What takes no tags, and the tagged parent it goes with.
UNTAGGED = {
    "aws_iam_role_policy": "aws_iam_role",
    "aws_lambda_permission": "aws_lambda_function",
    "aws_apigatewayv2_integration": "aws_apigatewayv2_api",
    "aws_apigatewayv2_route": "aws_apigatewayv2_api",
    "aws_kms_alias": "aws_kms_key",
    "aws_sns_topic_subscription": "aws_sns_topic",
}


def state_resources(module: dict) -> Iterator[dict]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from state_resources(child)


def unmarked(seed_tf, tfdir: Path) -> list[str]:
    """Managed resources of the applied stack that take tags but lack the mark, or take none
    and have no tagged parent kind."""
    state = json.loads(seed_tf.ok(tfdir, "show", "-json"))
    found = []
    for resource in state_resources(state["values"]["root_module"]):
        if resource["mode"] != "managed":
            continue
        if "tags_all" in resource["values"]:
            if (resource["values"]["tags_all"] or {}).get(EPHEMERAL_TAG) != RUN:
                found.append(resource["address"])
        elif resource["type"] not in UNTAGGED:
            found.append(f"{resource['address']} (takes no tags, no parent known)")
    return found


@pytest.fixture
def side_by_side(seed_account: Target, seed_tf, package, tmp_path) -> Iterator[Target]:
    """The owner's stack holding 41, and a run's stack applied and never destroyed; the account
    is empty after (proved)."""
    client = seed_account.client
    try:
        build_by_hand(client, package)
        put_count(client, 41)
        # The run's stack makes its own alarms key (not the account's shared one), so the
        # sweep must reach a KMS alias through its key's mark.
        tfdir = prepare_stack(
            EXAMPLE_COMPLETE, seed_account, tmp_path, RUN, alarms_kms_master_key_id=None
        )
        seed_tf.ok(tfdir, "init", "-input=false")
        seed_tf.ok(tfdir, "apply", "-auto-approve", "-input=false")  # then the run "crashed"
        assert unmarked(seed_tf, tfdir) == []
        yield seed_account
    finally:
        sweep(client, f"{RUN}-")  # what the test may have left of the run's
        remove_owners_stack(client)  # marks the owner's objects as the test's own, then sweeps
    assert inventory(RemoteAccount(seed_account.endpoint, REGION)) == {}


def test_sweep_takes_the_crashed_run_and_leaves_the_owners_stack_and_count(side_by_side):
    target = side_by_side
    found = list_resources(target.client, f"{RUN}-")
    run, owner = names(found), owners(target)
    key_id = next(r.id for r in found if r.kind == "kms alias")
    assert {kind for kind, _ in run} == set(KINDS), "the run's stack lacks a kind"
    assert {kind for kind, _ in owner} == {
        "dynamodb table", "lambda function", "iam role", "log group", "http api",
    }  # fmt: skip
    assert count(target) == "41"

    # Another account's id: refused by STS's answer, before anything is listed.
    aws_env = {
        "AWS_ENDPOINT_URL": target.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
    }
    refused = sweep_cli("--account-id", OTHER_ACCOUNT, "--delete", env=aws_env)
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"counterstack sweep: error: refusing to sweep: the credentials are for account "
        f"{ACCOUNT_ID}, not --account-id {OTHER_ACCOUNT}"
    ]
    assert names(list_resources(target.client, SWEPT)) == run | owner

    # Without --delete: a list, nothing deleted.
    dry = sweep_cli("--account-id", ACCOUNT_ID, env=aws_env)
    assert dry.returncode == 0, dry.stderr
    assert f"--delete deletes the {len(run)} marked 'would delete'" in dry.stdout
    assert names(list_resources(target.client, SWEPT)) == run | owner

    deleted = sweep_cli("--endpoint", target.endpoint, "--region", REGION, "--delete")

    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    lines = deleted.stdout.splitlines()
    assert lines[-1] == f"{len(run) + len(owner)} resource(s) matched '{SWEPT}'; 0 failed"
    outcomes = Counter(line[:44].strip() for line in lines[:-1])
    assert outcomes == {"deleted": len(run), "left alone: not made by a test run": len(owner)}
    assert list_resources(target.client, f"{RUN}-") == []
    key = target.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"  # the alias's key went with it
    assert owners(target) == owner
    assert count(target) == "41"
