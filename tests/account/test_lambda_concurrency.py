"""Concurrency and quotas as Lambda has them: reservations, the account quota, its minimum.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html ("You can reserve up
to the Unreserved account concurrency value minus 100")
https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html ("If the Lambda API
rejects the invocation request, API Gateway returns a 500 error code")
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from account_helpers import probe_spec
from botocore.exceptions import ClientError

from counterstack.errors import CounterStackError
from counterstack.local.awslambda.account_settings import QUOTA_PATH
from counterstack.local.awslambda.concurrency import (
    ACCOUNT_LIMIT,
    QUOTA_ENV,
    RESERVED_LIMIT,
    ConcurrencyLimits,
    quota_from_env,
)
from counterstack.local.awslambda.runtime import LambdaRuntime, Throttled

pytestmark = [
    pytest.mark.account,
    pytest.mark.local_only(
        reason="sets the local account's concurrency quota through its own endpoint"
    ),
]

SLEEP = {"action": "sleep", "seconds": 2}


def refusal(minimum: int) -> str:
    return (
        "Specified ReservedConcurrentExecutions for function decreases account's "
        f"UnreservedConcurrentExecution below its minimum value of [{minimum}]."
    )


@pytest.fixture
def quota(local_account):
    """set(n): the account's concurrency quota for this test; restored afterwards."""
    url = local_account.endpoint + QUOTA_PATH
    before = requests.get(url, timeout=10).json()

    def set_quota(value: int) -> None:
        requests.put(url, json={"ConcurrentExecutions": value}, timeout=10).raise_for_status()

    yield set_quota
    set_quota(before["ConcurrentExecutions"])
    assert requests.get(url, timeout=10).json() == before


def reserved_elsewhere(account, except_function: str) -> int:
    client = account.client("lambda")
    total = 0
    for function in (
        client.get_paginator("list_functions").paginate().build_full_result()["Functions"]
    ):
        if function["FunctionName"] == except_function:
            continue
        reserved = client.get_function_concurrency(FunctionName=function["FunctionName"])
        total += reserved.get("ReservedConcurrentExecutions", 0)
    return total


def test_past_reserved_concurrency_an_invoke_fails_at_once(local_account, probe, monkeypatch):
    """Reserved concurrency 1, two overlapping invocations: one runs, one gets 429 — no queue."""
    name = probe["FunctionName"]
    local_account.client("lambda").put_function_concurrency(
        FunctionName=name, ReservedConcurrentExecutions=1
    )

    # One attempt per call: botocore retries TooManyRequestsException with backoff, and on a
    # loaded machine a retry lands after the first invocation ended and runs (as on AWS too).
    # Clients made first and a barrier, so the two invocations overlap.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    clients = [local_account.client("lambda") for _ in range(2)]
    start_together = threading.Barrier(2)

    def attempt(client) -> str:
        start_together.wait(timeout=30)
        try:
            client.invoke(FunctionName=name, Payload=json.dumps(SLEEP).encode())
        except ClientError as error:
            assert error.response["Error"]["Code"] == "TooManyRequestsException"
            return error.response["Reason"]
        return "ran"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(attempt, clients))
    assert outcomes == sorted(["ran", RESERVED_LIMIT])


def test_a_throttled_function_answers_500_through_the_gateway(local_account, deploy, probe, unique):
    """HTTP API: Lambda refusing the invocation (429) is an integration failure, a 500."""
    name = probe["FunctionName"]
    local_account.client("lambda").put_function_concurrency(
        FunctionName=name, ReservedConcurrentExecutions=0
    )
    api = deploy.http_api(unique("throttled-fn"), probe["FunctionArn"])
    response = requests.get(api["url"](), timeout=30)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_a_quota_of_10_refuses_any_reservation(local_account, probe, quota):
    """A new account's quota of 10 leaves nothing to reserve: the minimum is the whole quota."""
    quota(10)
    client = local_account.client("lambda")
    with pytest.raises(ClientError) as caught:
        client.put_function_concurrency(
            FunctionName=probe["FunctionName"], ReservedConcurrentExecutions=1
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert caught.value.response["Error"]["Message"] == refusal(10)
    limits = client.get_account_settings()["AccountLimit"]
    assert limits["ConcurrentExecutions"] == 10
    others = reserved_elsewhere(local_account, "")
    assert limits["UnreservedConcurrentExecutions"] == max(0, 10 - others)


def test_the_default_quota_keeps_100_unreserved(local_account, probe, quota):
    """On 1,000, reservations may leave exactly 100 unreserved, never 99."""
    quota(1000)
    name = probe["FunctionName"]
    client = local_account.client("lambda")
    room = 1000 - reserved_elsewhere(local_account, name) - 100
    with pytest.raises(ClientError) as caught:
        client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=room + 1)
    assert caught.value.response["Error"]["Message"] == refusal(100)
    try:
        client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=room)
        settings = client.get_account_settings()["AccountLimit"]
        assert settings["ConcurrentExecutions"] == 1000
        assert settings["UnreservedConcurrentExecutions"] == 100
    finally:
        client.delete_function_concurrency(FunctionName=name)


def test_unreserved_functions_share_what_the_quota_leaves():
    """Past the unreserved pool (quota minus reservations) an invocation fails at once."""
    runtime = LambdaRuntime("http://127.0.0.1:9")  # the probe makes no SDK call
    runtime.concurrency.quota = 1
    spec = probe_spec("pool-probe")

    def attempt(_: int) -> str:
        try:
            invocation = runtime.invoke(spec, json.dumps(SLEEP).encode())
        except Throttled as error:
            return error.reason
        assert invocation.error is None, invocation.payload
        return "ran"

    try:
        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(attempt, range(2)))
    finally:
        runtime.close()
    assert outcomes == sorted(["ran", ACCOUNT_LIMIT])
    assert runtime.worker_count() == 0


def test_limits_count_in_flight_invocations_only():
    """A slot is given back when the invocation ends, even when it failed."""
    limits = ConcurrencyLimits(quota=10)
    with limits.slot("fn", reserved=1, reserved_total=1):
        with pytest.raises(Throttled) as caught, limits.slot("fn", reserved=1, reserved_total=1):
            pass
        assert caught.value.reason == RESERVED_LIMIT
    with pytest.raises(RuntimeError), limits.slot("fn", reserved=1, reserved_total=1):
        raise RuntimeError("the invocation failed")
    with limits.slot("fn", reserved=1, reserved_total=1):
        pass  # the failed one gave its slot back


def test_a_bad_quota_is_a_clear_error(local_account, monkeypatch):
    """The quota variable and the control endpoint name what is wrong and what to send."""
    monkeypatch.setenv(QUOTA_ENV, "ten")
    with pytest.raises(CounterStackError, match=f"{QUOTA_ENV}='ten' is not a whole number"):
        quota_from_env()
    response = requests.put(
        local_account.endpoint + QUOTA_PATH, json={"ConcurrentExecutions": 0}, timeout=10
    )
    assert response.status_code == 400
    assert "whole number N >= 1" in response.json()["message"]
