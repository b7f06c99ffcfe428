"""What a stopped apply created but never recorded is swept: the table by the stack's prefix,
the key (no name until its alias exists) by the stack's tag; nothing of another stack."""

import boto3
import pytest

from counterstack.harness.inventory import list_resources
from counterstack.harness.mark import EPHEMERAL_TAG, tag_list
from counterstack.harness.stack import stack_keys, sweep_unrecorded
from counterstack.harness.target import Target

pytestmark = pytest.mark.unit

REGION = "eu-west-1"


def client(service: str):
    return boto3.client(service, region_name=REGION)


def unrecorded(prefix: str, marked: bool = True) -> str:
    """A table and a key, marked by the stack's default tags as a cancelled create leaves
    them; the key's id."""
    client("dynamodb").create_table(
        TableName=f"{prefix}-visitors",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=tag_list(prefix) if marked else [],
    )
    tags = [{"TagKey": EPHEMERAL_TAG, "TagValue": prefix}]
    return client("kms").create_key(Tags=tags)["KeyMetadata"]["KeyId"]


def test_a_stopped_applys_table_and_key_are_swept_and_named(aws):
    mine, theirs = unrecorded("stopped"), unrecorded("stopped2")
    client("kms").create_key(Description="untagged")  # nobody's stack: left alone
    said: list[str] = []

    sweep_unrecorded(Target("aws", REGION), "stopped", said.append)

    assert said == [
        "sweeping 2 resource(s) the stopped apply created but Terraform had not recorded: "
        f"dynamodb table stopped-visitors, kms key {mine}"
    ]
    assert list_resources(client, "stopped-") == []
    assert stack_keys(client, "stopped") == []
    state = client("kms").describe_key(KeyId=mine)["KeyMetadata"]["KeyState"]
    assert state == "PendingDeletion"
    assert stack_keys(client, "stopped2") == [theirs]
    assert [r.name for r in list_resources(client, "stopped2-")] == ["stopped2-visitors"]


def test_nothing_to_sweep_says_nothing(aws):
    said: list[str] = []
    sweep_unrecorded(Target("aws", REGION), "clean", said.append)
    assert said == []


def test_an_unmarked_table_under_the_prefix_is_left_alone_and_named(aws):
    unrecorded("handmade", marked=False)
    said: list[str] = []

    sweep_unrecorded(Target("aws", REGION), "handmade", said.append)

    assert said[-1] == (
        "could not sweep dynamodb table handmade-visitors: left alone: not made by a test run"
    )
    assert [r.name for r in list_resources(client, "handmade-")] == ["handmade-visitors"]
