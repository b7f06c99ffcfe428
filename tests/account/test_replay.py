"""A retried attempt of an operation the account already completed gets the first answer again
(`counterstack.local.replay`): the provider's SDK, having lost an answer, must not create twice."""

import json
import uuid

import pytest
import requests

from counterstack.local.client import HEALTH_PATH

pytestmark = [
    pytest.mark.account,
    pytest.mark.local_only(reason="the replay of retried SDK attempts is the local account's own"),
]

SIGNED_FOR_DYNAMODB = (
    "AWS4-HMAC-SHA256 Credential=test/20261125/eu-west-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0"
)


def create_table(endpoint: str, name: str, invocation: str, attempt: int) -> requests.Response:
    """CreateTable as an AWS SDK sends it, attempt `attempt` of operation `invocation`."""
    body = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    return requests.post(
        endpoint + "/",
        data=json.dumps(body),
        headers={
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": "DynamoDB_20120810.CreateTable",
            "authorization": SIGNED_FOR_DYNAMODB,
            "amz-sdk-invocation-id": invocation,
            "amz-sdk-request": f"attempt={attempt}; max=25",
        },
        timeout=10,
    )


def replayed(endpoint: str) -> int:
    return requests.get(endpoint + HEALTH_PATH, timeout=10).json()["replayed_retries"]


def test_a_retried_create_gets_the_first_answer_and_creates_nothing(local_account, unique):
    name, invocation = unique("replay"), str(uuid.uuid4())
    before = replayed(local_account.endpoint)
    first = create_table(local_account.endpoint, name, invocation, attempt=1)
    assert first.status_code == 200, first.text

    retry = create_table(local_account.endpoint, name, invocation, attempt=2)
    assert (retry.status_code, retry.content) == (200, first.content)
    assert replayed(local_account.endpoint) == before + 1

    tables = local_account.client("dynamodb").list_tables()["TableNames"]
    assert tables.count(name) == 1
    local_account.client("dynamodb").delete_table(TableName=name)


def test_a_new_operation_is_never_replayed(local_account, unique):
    """Same request, new invocation id: a second CreateTable, which DynamoDB refuses."""
    name = unique("replay")
    assert create_table(local_account.endpoint, name, str(uuid.uuid4()), 1).status_code == 200
    again = create_table(local_account.endpoint, name, str(uuid.uuid4()), 2)
    assert again.status_code == 400
    assert "ResourceInUseException" in again.text
    local_account.client("dynamodb").delete_table(TableName=name)


def test_a_failed_first_attempt_is_not_replayed(local_account, unique):
    """Only successes are remembered: the retry of a refused create is served afresh."""
    name, invocation = unique("replay"), str(uuid.uuid4())
    assert create_table(local_account.endpoint, name, str(uuid.uuid4()), 1).status_code == 200
    refused = create_table(local_account.endpoint, name, invocation, attempt=1)
    assert refused.status_code == 400
    local_account.client("dynamodb").delete_table(TableName=name)
    retry = create_table(local_account.endpoint, name, invocation, attempt=2)
    assert retry.status_code == 200, retry.text
    local_account.client("dynamodb").delete_table(TableName=name)
