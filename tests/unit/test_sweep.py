"""The sweeper and the leak check's inventory, against moto in-process."""

import json
from datetime import timedelta

import boto3
import pytest

from counterstack.harness.inventory import list_resources
from counterstack.harness.sweep import sweep
from counterstack.seed import LAMBDA_TRUST_POLICY

pytestmark = pytest.mark.unit

KIND_NAMES = [
    "cloudwatch alarm", "sns topic", "kms alias", "http api", "lambda function", "log group",
    "iam role", "dynamodb table",
]  # fmt: skip
HOUR = timedelta(hours=1)
KINDS = len(KIND_NAMES)  # of resource make_stack creates

POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": "*"}],
    }
)


def client(service):
    return boto3.client(service, region_name="eu-west-1")


def make_stack(prefix: str, package_bytes: bytes, protected: bool = False) -> None:
    """The eight kinds of resource an ephemeral stack creates, named the same way."""
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
    topic = client("sns").create_topic(Name=f"{prefix}-alarms")["TopicArn"]
    key = client("kms").create_key(Description="alarms")["KeyMetadata"]["KeyId"]
    client("kms").create_alias(AliasName=f"alias/{prefix}-alarms", TargetKeyId=key)
    client("cloudwatch").put_metric_alarm(
        AlarmName=f"{prefix}-api-5xx",
        Namespace="AWS/ApiGateway",
        MetricName="5xx",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
    )


@pytest.fixture
def package_bytes(package):
    return package.path.read_bytes()


def test_inventory_finds_every_kind_by_prefix(aws, package_bytes):
    make_stack("ct-run1-gw0-1", package_bytes)
    make_stack("ct-run1-gw0-10", package_bytes)
    found = list_resources(client, "ct-run1-gw0-1-")
    assert sorted(r.kind for r in found) == sorted(KIND_NAMES)
    assert all("ct-run1-gw0-10" not in r.name for r in found)


def test_empty_prefix_is_refused(aws):
    with pytest.raises(ValueError, match="every resource"):
        list_resources(client, "")


def test_sweep_deletes_a_runs_leftovers_and_nothing_else(aws, package_bytes):
    make_stack("ct-dead-gw0-1", package_bytes)
    make_stack("keep", package_bytes)

    results = sweep(client, "ct-dead-")
    key_id = next(r.resource.id for r in results if r.resource.kind == "kms alias")

    assert [r.outcome for r in results] == ["deleted"] * KINDS
    assert list_resources(client, "ct-dead-") == []
    key = client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"  # KMS deletes a key 7 days later at the soonest
    assert len(list_resources(client, "keep-")) == KINDS


def test_sweep_never_deletes_protected_tables(aws, package_bytes):
    make_stack("ct-prod-like", package_bytes, protected=True)
    outcomes = {r.resource.kind: r.outcome for r in sweep(client, "ct-prod-like-")}
    assert outcomes["dynamodb table"] == "skipped: deletion protection is on"
    assert [r.kind for r in list_resources(client, "ct-prod-like-")] == ["dynamodb table"]


def test_sweep_respects_older_than_and_dry_run(aws, package_bytes):
    make_stack("ct-new", package_bytes)
    young = {r.resource.kind: r.outcome for r in sweep(client, "ct-new-", older_than=HOUR)}
    assert young.pop("sns topic") == "skipped: age unknown, sweep without --older-than"
    assert young == dict.fromkeys(young, "skipped: newer than --older-than")
    dry = sweep(client, "ct-new-", dry_run=True)
    assert {r.outcome for r in dry} == {"would delete"}
    assert len(list_resources(client, "ct-new-")) == KINDS
