"""The sweeper and the leak check's inventory, against moto in-process."""

import json
from datetime import timedelta

import boto3
import pytest

from counterstack.harness.inventory import list_resources
from counterstack.harness.sweep import sweep
from counterstack.seed import LAMBDA_TRUST_POLICY

pytestmark = pytest.mark.unit

POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": "*"}],
    }
)


def client(service):
    return boto3.client(service, region_name="eu-west-1")


def make_stack(prefix: str, package_bytes: bytes, protected: bool = False) -> None:
    """The five kinds of resource an ephemeral stack creates, named the same way."""
    role = client("iam").create_role(
        RoleName=f"{prefix}-fn", AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY
    )
    client("iam").put_role_policy(
        RoleName=f"{prefix}-fn", PolicyName="inline", PolicyDocument=POLICY
    )
    client("dynamodb").create_table(
        TableName=f"{prefix}-visitors",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        DeletionProtectionEnabled=protected,
    )
    client("lambda").create_function(
        FunctionName=f"{prefix}-fn",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="visitor_counter.handler.handler",
        Code={"ZipFile": package_bytes},
    )
    client("logs").create_log_group(logGroupName=f"/aws/lambda/{prefix}-fn")
    client("apigatewayv2").create_api(Name=f"{prefix}-api", ProtocolType="HTTP")


@pytest.fixture
def package_bytes(package):
    return package.path.read_bytes()


def test_inventory_finds_every_kind_by_prefix(aws, package_bytes):
    make_stack("ct-run1-gw0-1", package_bytes)
    make_stack("ct-run1-gw0-10", package_bytes)
    found = list_resources(client, "ct-run1-gw0-1-")
    assert sorted(r.kind for r in found) == sorted(
        ["http api", "lambda function", "log group", "iam role", "dynamodb table"]
    )
    assert all("ct-run1-gw0-10" not in r.name for r in found)


def test_empty_prefix_is_refused(aws):
    with pytest.raises(ValueError, match="every resource"):
        list_resources(client, "")


def test_sweep_deletes_a_runs_leftovers_and_nothing_else(aws, package_bytes):
    make_stack("ct-dead-gw0-1", package_bytes)
    make_stack("keep", package_bytes)

    results = sweep(client, "ct-dead-")

    assert [r.outcome for r in results] == ["deleted"] * 5
    assert list_resources(client, "ct-dead-") == []
    assert len(list_resources(client, "keep-")) == 5


def test_sweep_never_deletes_protected_tables(aws, package_bytes):
    make_stack("ct-prod-like", package_bytes, protected=True)
    outcomes = {r.resource.kind: r.outcome for r in sweep(client, "ct-prod-like-")}
    assert outcomes["dynamodb table"] == "skipped: deletion protection is on"
    assert [r.kind for r in list_resources(client, "ct-prod-like-")] == ["dynamodb table"]


def test_sweep_respects_older_than_and_dry_run(aws, package_bytes):
    make_stack("ct-new", package_bytes)
    young = sweep(client, "ct-new-", older_than=timedelta(hours=1))
    assert {r.outcome for r in young} == {"skipped: newer than --older-than"}
    dry = sweep(client, "ct-new-", dry_run=True)
    assert {r.outcome for r in dry} == {"would delete"}
    assert len(list_resources(client, "ct-new-")) == 5
