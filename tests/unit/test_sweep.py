"""The sweeper and the leak check's inventory, against moto in-process: by name AND by mark."""

import json
from datetime import timedelta

import boto3
import pytest

from counterstack.harness.inventory import list_resources
from counterstack.harness.mark import EPHEMERAL_TAG, mark, mark_of, tag_list, tag_map
from counterstack.harness.sweep import BY_HAND, NOT_MARKED, UNMARKED_RUN_NAME, plan, sweep
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


def make_stack(
    prefix: str, package_bytes: bytes, protected: bool = False, marked: bool = True
) -> None:
    """The eight kinds of resource an ephemeral stack creates, named the same way; `marked`:
    tagged as a test run's (what takes no tags goes through its parent: the alias's key)."""
    pairs, tags = (tag_list(prefix), tag_map(prefix)) if marked else ([], {})
    role = client("iam").create_role(
        RoleName=f"{prefix}-fn", AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY, Tags=pairs
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
        Tags=pairs,
    )
    client("lambda").create_function(
        FunctionName=f"{prefix}-fn",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="visitor_counter.handler.handler",
        Code={"ZipFile": package_bytes},
        Tags=tags,
    )
    client("logs").create_log_group(logGroupName=f"/aws/lambda/{prefix}-fn", tags=tags)
    client("apigatewayv2").create_api(Name=f"{prefix}-api", ProtocolType="HTTP", Tags=tags)
    topic = client("sns").create_topic(Name=f"{prefix}-alarms", Tags=pairs)["TopicArn"]
    key_tags = [{"TagKey": p["Key"], "TagValue": p["Value"]} for p in pairs]
    key = client("kms").create_key(Description="alarms", Tags=key_tags)["KeyMetadata"]["KeyId"]
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
        Tags=pairs,
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


def test_every_kind_carries_its_mark_or_its_parents_and_can_get_it_back(aws, package_bytes):
    make_stack("ct-mark-gw0-1", package_bytes)
    make_stack("ct-bare-gw0-1", package_bytes, marked=False)
    marked = list_resources(client, "ct-mark-")
    assert {r.kind: mark_of(client, r) for r in marked} == dict.fromkeys(
        KIND_NAMES, "ct-mark-gw0-1"
    )
    bare = list_resources(client, "ct-bare-")
    assert {r.kind: mark_of(client, r) for r in bare} == dict.fromkeys(KIND_NAMES)
    for resource in bare:  # what an adoption test does once the live tree's tags replaced it
        mark(client, resource, "ct-bare-gw0-1")
    assert {r.outcome for r in plan(client, "ct-bare-")} == {"would delete"}


def test_a_stack_made_by_hand_is_left_alone_and_keeps_its_count(aws, package_bytes):
    """The owner's stack (no mark) beside a crashed run's under one prefix: only the run's go."""
    make_stack("visitor", package_bytes, marked=False)
    counter = {"id": {"S": "visitors"}, "count": {"N": "41"}}
    client("dynamodb").put_item(TableName="visitor-visitors", Item=counter)
    make_stack("visitor-ct-dead-1", package_bytes)

    results = sweep(client, "visitor")

    outcomes = {(r.resource.kind, r.resource.name): r.outcome for r in results}
    deleted = {key for key, outcome in outcomes.items() if outcome == "deleted"}
    left = {key for key, outcome in outcomes.items() if outcome == NOT_MARKED}
    assert len(deleted) == len(left) == KINDS and len(outcomes) == 2 * KINDS
    assert all("visitor-ct-dead-1" in name for _, name in deleted)
    assert sorted(r.kind for r in list_resources(client, "visitor-ct-")) == []
    assert sorted(r.kind for r in list_resources(client, "visitor")) == sorted(KIND_NAMES)
    item = client("dynamodb").get_item(TableName="visitor-visitors", Key={"id": counter["id"]})
    assert item["Item"]["count"] == {"N": "41"}


def test_unmarked_leftovers_under_a_runs_name_are_listed_not_deleted(aws, package_bytes):
    make_stack("ct-old-gw0-1", package_bytes, marked=False)
    assert {r.outcome for r in sweep(client, "ct-old-")} == {UNMARKED_RUN_NAME}
    assert len(list_resources(client, "ct-old-")) == KINDS
    assert EPHEMERAL_TAG in BY_HAND
