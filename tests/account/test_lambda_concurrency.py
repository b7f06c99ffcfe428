"""Concurrency and quotas as Lambda has them: reservations, the account quota, its minimum.

What AWS can check runs on the `account` fixture of either target (a reservation of 0 works on a
new account whose quota is 10, so the nightly job checks it on AWS too); what needs the local
account's quota control or its workers is `local_only`. Expected values are AWS's, written here
as the docs give them, never the account's own constants.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html ("You can reserve up
to the Unreserved account concurrency value minus 100")
https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html ("If the Lambda API
rejects the invocation request, API Gateway returns a 500 error code")
"""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from account_helpers import invoke, probe_spec, wait_for_file
from botocore.exceptions import ClientError

from counterstack.errors import CounterStackError
from counterstack.local.awslambda.account_settings import QUOTA_PATH
from counterstack.local.awslambda.concurrency import QUOTA_ENV, ConcurrencyLimits, quota_from_env
from counterstack.local.awslambda.runtime import LambdaRuntime, Throttled

pytestmark = pytest.mark.account

# https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html, Errors: "TooManyRequestsException
# The request throughput limit was exceeded." "HTTP Status Code: 429". Its Reason is one of
# "ConcurrentInvocationLimitExceeded | FunctionInvocationRateLimitExceeded |
# ReservedFunctionConcurrentInvocationLimitExceeded | ReservedFunctionInvocationRateLimitExceeded |
# CallerRateLimitExceeded | ConcurrentSnapshotCreateLimitExceeded" (API_TooManyRequestsException):
# past a function's reservation, the reserved-function one; past the shared pool, the account one.
THROTTLED = "TooManyRequestsException"
RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
QUOTA_CONTROL = "sets the local account's concurrency quota through its own endpoint"
WORKERS = "holds a local worker open through a file on the test's disk"
IN_PROCESS = "drives the local runtime's concurrency limits in this process"


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


def test_reserved_concurrency_zero_throttles(account, probe):
    """Reserved concurrency 0 stops every invocation at once: 429, the reservation's reason."""
    name = probe["FunctionName"]
    client = account.client("lambda")
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as caught:
        invoke(account, name, {})
    assert caught.value.response["Error"]["Code"] == THROTTLED
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert caught.value.response["Reason"] == RESERVED_LIMIT


def test_a_throttled_function_answers_500_through_the_gateway(account, deploy, probe, unique):
    """HTTP API: Lambda refusing the invocation (429) is an integration failure, a 500."""
    name = probe["FunctionName"]
    account.client("lambda").put_function_concurrency(
        FunctionName=name, ReservedConcurrentExecutions=0
    )
    api = deploy.http_api(unique("throttled-fn"), probe["FunctionArn"])
    response = account.eventually(
        lambda: requests.get(api["url"](), timeout=30), lambda answer: answer.status_code == 500
    )
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


@pytest.mark.local_only(reason=WORKERS)
def test_past_reserved_concurrency_an_invoke_fails_at_once(
    local_account, deploy, probe_zip, unique, tmp_path, monkeypatch
):
    """Reserved concurrency 1: while one invocation is inside the handler (it said so and waits
    for the test), the next gets 429 at once — no queue; the held one then runs to its end."""
    name = unique("reserved")
    deploy.function(name, probe_zip, Timeout=60)
    local_account.client("lambda").put_function_concurrency(
        FunctionName=name, ReservedConcurrentExecutions=1
    )
    started, release = tmp_path / "started", tmp_path / "release"
    hold = {"action": "wait", "here": str(started), "until": str(release)}
    # One attempt per call: botocore retries TooManyRequestsException with backoff.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(invoke, local_account, name, hold)
        try:
            wait_for_file(started)  # the slot is taken: the held invocation is running
            with pytest.raises(ClientError) as caught:
                invoke(local_account, name, {})
        finally:
            release.touch()
        _, payload = held.result(timeout=120)
    assert caught.value.response["Error"]["Code"] == THROTTLED
    assert caught.value.response["Reason"] == RESERVED_LIMIT
    assert payload["seen"] == 1  # it ran until released, not to its own deadline


@pytest.mark.local_only(reason=QUOTA_CONTROL)
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


@pytest.mark.local_only(reason=QUOTA_CONTROL)
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


@pytest.mark.local_only(reason=IN_PROCESS)
def test_unreserved_functions_share_what_the_quota_leaves(tmp_path):
    """Past the unreserved pool (quota minus reservations) an invocation fails at once: while
    one holds the only slot (inside its handler, waiting for the test), the next is refused."""
    runtime = LambdaRuntime("http://127.0.0.1:9")  # the probe makes no SDK call
    runtime.concurrency.quota = 1
    spec = probe_spec("pool-probe")
    started, release = tmp_path / "started", tmp_path / "release"
    hold = {"action": "wait", "here": str(started), "until": str(release)}
    try:
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(runtime.invoke, spec, json.dumps(hold).encode())
            try:
                wait_for_file(started)
                with pytest.raises(Throttled) as caught:
                    runtime.invoke(spec, json.dumps({}).encode())
            finally:
                release.touch()
            invocation = held.result(timeout=120)
    finally:
        runtime.close()
    assert caught.value.reason == ACCOUNT_LIMIT
    assert invocation.error is None, invocation.payload
    assert json.loads(invocation.payload)["seen"] == 1
    assert runtime.worker_count() == 0


@pytest.mark.local_only(reason=IN_PROCESS)
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


@pytest.mark.local_only(reason=QUOTA_CONTROL)
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
