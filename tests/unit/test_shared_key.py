"""The account's shared alarms key: made once, found again, kept by sweeps, passed to stacks."""

import json

import boto3
import pytest
from moto import mock_aws

from counterstack.harness import shared_key
from counterstack.harness.shared_key import shared_alarms_key, shared_key_input
from counterstack.harness.stack import EPHEMERAL_TAG
from counterstack.harness.sweep import sweep
from counterstack.paths import EXAMPLE_COMPLETE, MODULES_DIR

pytestmark = pytest.mark.unit

REGION = "eu-west-1"


@pytest.fixture
def client():
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


def test_the_key_is_made_once_and_found_by_its_alias_after_that(client):
    first = shared_alarms_key(client)
    assert shared_alarms_key(client) == first
    kms = client("kms")
    assert [key["KeyArn"] for key in kms.list_keys()["Keys"]] == [first]
    metadata = kms.describe_key(KeyId=shared_key.ALIAS)["KeyMetadata"]
    assert metadata["Arn"] == first and metadata["KeyState"] == "Enabled"
    assert kms.get_key_rotation_status(KeyId=metadata["KeyId"])["KeyRotationEnabled"]


def test_the_key_lets_cloudwatch_publish_and_the_account_administer_it(client):
    kms = client("kms")
    key_id = shared_alarms_key(client).rsplit("/", 1)[1]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    account, cloudwatch = policy["Statement"]
    assert account["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_no_sweep_of_test_leftovers_takes_the_key(client):
    """Not tagged ephemeral, no test prefix; even a sweep by a prefix of its alias keeps it."""
    kms = client("kms")
    arn = shared_alarms_key(client)
    tags = {tag["TagKey"]: tag["TagValue"] for tag in kms.list_resource_tags(KeyId=arn)["Tags"]}
    assert tags == {"counterstack:shared-key": "alarms"}
    assert EPHEMERAL_TAG not in tags
    assert not shared_key.ALIAS.startswith("alias/ct-")
    assert sweep(client, "counterstack") == []
    assert kms.describe_key(KeyId=shared_key.ALIAS)["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_key_scheduled_for_deletion_by_hand_is_taken_back(client):
    kms = client("kms")
    arn = shared_alarms_key(client)
    kms.schedule_key_deletion(KeyId=arn.rsplit("/", 1)[1], PendingWindowInDays=7)
    assert shared_alarms_key(client) == arn
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"


def test_two_workers_making_it_at_once_end_with_one(client):
    """The alias appears between this worker's look-up and its CreateAlias: the other's key is
    used, and this one's is let go (KMS deletes it after 7 days)."""
    others = shared_alarms_key(client)
    kms = client("kms")
    found = kms.describe_key

    def not_yet(**kwargs):  # the other worker had not made its alias yet when this one looked
        kms.describe_key = found
        raise kms.exceptions.NotFoundException({"Error": {"Code": "NotFoundException"}}, "x")

    kms.describe_key = not_yet
    assert shared_alarms_key(lambda service: kms if service == "kms" else client(service)) == others
    states = {key["KeyId"]: kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
              for key in kms.list_keys()["Keys"]}  # fmt: skip
    assert sorted(states.values()) == ["Enabled", "PendingDeletion"]


def test_a_root_that_takes_the_key_gets_it_unless_the_caller_chose(client):
    arn = shared_alarms_key(client)
    assert shared_key_input(EXAMPLE_COMPLETE, client, {}) == {shared_key.VARIABLE: arn}
    assert shared_key_input(EXAMPLE_COMPLETE, client, {shared_key.VARIABLE: None}) == {}
    assert shared_key_input(MODULES_DIR / "dynamodb", client, {}) == {}
