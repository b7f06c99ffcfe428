"""Faults, measured: injected AWS errors and a function past its timeout, seen through HTTP.

The fault rules (`counterstack.local.testing.fault_injection`) make the local account answer
chosen AWS API calls with the error AWS would send. These tests check the facility itself
(control plane, matching, counts, error shapes SDKs parse) and what the deployed counter makes
of DynamoDB failing under it: `503 {"message": "Service Unavailable"}` with `retry-after`, no
visit lost or counted twice.

https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
"""

import time

import boto3
import pytest
import requests
from account_helpers import REGION, zip_source
from botocore.config import Config
from botocore.exceptions import ClientError

from counterstack.local.testing.fault_injection import (
    FAULTS_PATH,
    clear_faults,
    inject_fault,
    injected_fault,
    list_faults,
    remove_fault,
)

pytestmark = [
    pytest.mark.account,
    pytest.mark.local_only(reason="fault injection is the local account's own test facility"),
]

NO_RETRIES = Config(retries={"total_max_attempts": 1})
TIMEOUT = 30
# visitor_counter.handler.CLIENT_CONFIG: `total_max_attempts: 2`, so 2 UpdateItem calls in all
# before the handler gives up (tests/unit/test_handler.py pins that config).
HANDLER_SDK_ATTEMPTS = 2
FUNCTION_TIMEOUT = 10  # modules/lambda's default: room for the SDK's throttling backoff

# Sleeps 3 s when asked (`?sleep=<file>`), past its 1 s timeout, then creates that file;
# answers its pid otherwise.
SLOW_SOURCE = """
import json, os, time

def handler(event, context):
    mark = (event.get("queryStringParameters") or {}).get("sleep")
    if mark:
        time.sleep(3)
        open(mark, "w").close()
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"pid": os.getpid()})}
"""


@pytest.fixture(autouse=True)
def no_faults_left(local_account):
    """Every test starts and ends without rules: the account is shared by the worker's tests."""
    clear_faults(local_account.endpoint)
    yield
    clear_faults(local_account.endpoint)


@pytest.fixture
def table(deploy, unique) -> str:
    return deploy.table(unique("faults"))


@pytest.fixture
def counter_url(local_account, deploy, counter_zip, table, unique, execution_role):
    """The real counter package behind `GET /visitors` on a `prod` stage, counting in `table`."""
    name = unique("counter")
    table_arn = f"arn:aws:dynamodb:{REGION}:{local_account.account_id}:table/{table}"
    allow = {"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": table_arn}
    function = deploy.function(
        name,
        counter_zip,
        handler="visitor_counter.handler.handler",
        Role=execution_role(name, [allow]),
        Environment={"Variables": {"TABLE_NAME": table}},
        Timeout=FUNCTION_TIMEOUT,
    )
    return deploy.http_api(unique("api"), function["FunctionArn"])["url"]()


def get_count(url: str) -> int:
    response = requests.get(url, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def no_retry_client(account, service: str):
    """A boto3 client that makes one attempt: the test sees each injected error itself."""
    return boto3.client(
        service,
        region_name=account.region,
        endpoint_url=account.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=NO_RETRIES,
    )


# -- the facility -------------------------------------------------------------------------------
def test_control_plane_adds_lists_and_removes_rules(local_account):
    endpoint = local_account.endpoint
    first = inject_fault(endpoint, service="dynamodb", status=503, code="ServiceUnavailable")
    second = inject_fault(
        endpoint, service="apigatewayv2", method="delete", path="/v2/apis/[^/]+", status=409,
        code="ConflictException", count=1,
    )  # fmt: skip
    assert first["remaining"] is None and first["hits"] == 0
    assert second["service"] == "apigateway"  # API Gateway v2 signs as apigateway
    assert second["method"] == "DELETE"
    assert [f["id"] for f in list_faults(endpoint)] == [first["id"], second["id"]]
    assert remove_fault(endpoint, first["id"])["id"] == first["id"]
    assert requests.delete(f"{endpoint}{FAULTS_PATH}/{first['id']}", timeout=5).status_code == 404
    assert [f["id"] for f in clear_faults(endpoint)] == [second["id"]]
    assert list_faults(endpoint) == []


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ({"status": 503, "code": "X"}, "service is required"),
        ({"service": "dynamodb", "status": 200, "code": "X"}, "status must be"),
        ({"service": "dynamodb", "status": 503}, "code must be"),
        ({"service": "dynamodb", "status": 503, "code": "X", "count": 0}, "count must be"),
        ({"service": "dynamodb", "status": 503, "code": "X", "path": "("}, "path is not"),
        ({"service": "dynamodb", "status": 503, "code": "X", "colour": "red"}, "unknown field"),
    ],
)
def test_malformed_rules_are_refused_with_the_reason(local_account, rule, complaint):
    response = requests.post(local_account.endpoint + FAULTS_PATH, json=rule, timeout=5)
    assert response.status_code == 400
    assert complaint in response.json()["message"]
    assert list_faults(local_account.endpoint) == []


def test_a_counted_fault_answers_that_many_matching_calls_then_passes_through(local_account, table):
    dynamodb = no_retry_client(local_account, "dynamodb")
    key = {"id": {"S": "visitors"}}
    add = {"UpdateExpression": "ADD #c :one", "ExpressionAttributeNames": {"#c": "count"}}
    add["ExpressionAttributeValues"] = {":one": {"N": "1"}}
    with injected_fault(
        local_account.endpoint,
        service="dynamodb",
        operation="UpdateItem",
        status=400,
        code="ThrottlingException",
        count=2,
    ) as fault:
        assert table in dynamodb.list_tables()["TableNames"]  # another operation: untouched
        for _ in range(2):
            with pytest.raises(ClientError) as raised:
                dynamodb.update_item(TableName=table, Key=key, **add)
            assert raised.value.response["Error"]["Code"] == "ThrottlingException"
            assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        dynamodb.update_item(TableName=table, Key=key, **add)
    assert (fault["hits"], fault["remaining"]) == (2, 0)
    item = dynamodb.get_item(TableName=table, Key=key)["Item"]
    assert item["count"] == {"N": "1"}  # the faulted calls wrote nothing


@pytest.mark.parametrize(
    ("service", "rule", "call"),
    [
        pytest.param(
            "apigatewayv2",
            {"method": "DELETE", "path": "/v2/apis/[^/]+", "status": 409},
            lambda client: client.delete_api(ApiId="abc123"),
            id="rest-json",
        ),
        pytest.param(
            "iam",
            {"operation": "GetRole", "status": 400},
            lambda client: client.get_role(RoleName="nobody"),
            id="query-xml",
        ),
        pytest.param(
            "logs",
            {"operation": "DescribeLogGroups", "status": 400},
            lambda client: client.describe_log_groups(),
            id="json-1.1",
        ),
    ],
)
def test_every_protocol_gets_an_error_its_sdk_parses(local_account, service, rule, call):
    """botocore reads the code the rule set, whatever the service's wire protocol."""
    client = no_retry_client(local_account, service)
    code = "ConflictException" if rule["status"] == 409 else "ThrottlingException"
    with (
        injected_fault(local_account.endpoint, service=service, code=code, **rule) as fault,
        pytest.raises(ClientError) as raised,
    ):
        call(client)
    error = raised.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == rule["status"]
    assert fault["hits"] == 1


# -- the counter through the gateway -----------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (503, "ServiceUnavailable"),
        (500, "InternalServerError"),
        (400, "ThrottlingException"),
        (400, "ProvisionedThroughputExceededException"),
    ],
)
def test_dynamodb_unavailable_is_a_503_with_retry_after_and_no_visit_is_lost(
    local_account, counter_url, status, code
):
    before = get_count(counter_url)
    with injected_fault(
        local_account.endpoint, service="dynamodb", operation="UpdateItem", status=status, code=code
    ) as fault:
        failed = requests.get(counter_url, timeout=TIMEOUT)
    assert failed.status_code == 503, failed.text
    assert failed.headers["content-type"] == "application/json"
    assert failed.json() == {"message": "Service Unavailable"}
    assert int(failed.headers["retry-after"]) >= 1
    assert fault["hits"] == HANDLER_SDK_ATTEMPTS  # every SDK attempt failed
    assert get_count(counter_url) == before + 1  # nothing lost, nothing counted twice


def test_a_short_dynamodb_outage_is_absorbed_by_the_sdk_retries(local_account, counter_url):
    """A failed UpdateItem is retried once inside the function: the visitor sees a 200."""
    before = get_count(counter_url)
    with injected_fault(
        local_account.endpoint,
        service="dynamodb",
        operation="UpdateItem",
        status=503,
        code="ServiceUnavailable",
        count=HANDLER_SDK_ATTEMPTS - 1,
    ) as fault:
        assert get_count(counter_url) == before + 1
    assert (fault["hits"], fault["remaining"]) == (HANDLER_SDK_ATTEMPTS - 1, 0)
    assert get_count(counter_url) == before + 2


def test_non_retryable_dynamodb_error_is_a_500_without_retry_after(local_account, counter_url):
    """Not every DynamoDB failure is worth a retry: AccessDenied is a 500, once."""
    before = get_count(counter_url)
    with injected_fault(
        local_account.endpoint,
        service="dynamodb",
        operation="UpdateItem",
        status=400,
        code="AccessDeniedException",
    ) as fault:
        failed = requests.get(counter_url, timeout=TIMEOUT)
    assert failed.status_code == 500
    assert failed.json() == {"message": "Internal Server Error"}
    assert "retry-after" not in failed.headers
    assert fault["hits"] == 1
    assert get_count(counter_url) == before + 1


# -- a function past its timeout ---------------------------------------------------------------
def test_function_past_its_timeout_is_a_500_in_bounded_time_and_the_next_call_works(
    local_account, deploy, unique, tmp_path
):
    """The 500 comes at the function's timeout, not after its handler's sleep: when it arrives
    the handler has not finished (it would have left a file)."""
    function = deploy.function(
        unique("slow"), zip_source({"slow.py": SLOW_SOURCE}), handler="slow.handler", Timeout=1
    )
    url = deploy.http_api(unique("api"), function["FunctionArn"])["url"]()
    warm = requests.get(url, timeout=TIMEOUT)
    assert warm.status_code == 200, warm.text

    finished = tmp_path / "slept"
    started = time.monotonic()
    timed_out = requests.get(url, params={"sleep": str(finished)}, timeout=TIMEOUT)
    elapsed = time.monotonic() - started
    assert timed_out.status_code == 500
    assert timed_out.json() == {"message": "Internal Server Error"}
    assert not finished.exists(), f"the 500 waited for the handler's sleep ({elapsed:.2f}s)"
    # A lower bound only: load can make the answer later, never earlier than the timeout.
    assert elapsed >= 1.0, f"answered after {elapsed:.2f}s, before the 1 s timeout"

    after = requests.get(url, timeout=TIMEOUT)
    assert after.status_code == 200, after.text
    assert after.json()["pid"] != warm.json()["pid"]  # the timed-out worker was replaced
    print(f"timeout answered 500 after {elapsed:.2f}s")
