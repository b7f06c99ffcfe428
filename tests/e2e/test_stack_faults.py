"""Faults, measured, on the shared examples/complete stack: outages, load, a flaky destroy.

The faults only read the stack (the account injects them), so these tests share the e2e stack;
the destroy test destroys it, so it runs after every other test of the group. The fault rules
(`counterstack.local.testing.fault_injection`) exist only in the local account, so the fault
tests are marked local_only and skip on `--target aws`; the load test runs on both targets.
"""

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from counterstack.harness.http import http_get_with_retry
from counterstack.harness.stack import Stack, assert_no_leaks, destroy
from counterstack.local.testing.fault_injection import clear_faults, inject_fault, injected_fault

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
]  # in the xdist group `shared-stack` (tests/xdist_groups.py)

LOAD_REQUESTS = 1000  # the shared stack's stage throttling lets them through (conftest)
LOAD_THREADS = 50
# visitor_counter.handler's client: `total_max_attempts: 2`, so 2 UpdateItem calls at most.
HANDLER_SDK_ATTEMPTS = 2
FAILED_GETS = 3
TIMEOUT = 30
LOCAL_ONLY = "fault rules exist only in the local account"
API_PATH = r"/v2/apis/[^/]+"  # apigatewayv2 DeleteApi: DELETE /v2/apis/{apiId}


@pytest.fixture
def stack(shared_stack: Stack) -> Stack:
    """The shared stack; test_destroy_* destroys it (its fixture's destroy then no-ops)."""
    return shared_stack


@pytest.fixture
def fault_endpoint(target) -> Iterator[str]:
    """The local account's endpoint, with no fault rule before or after the test (a local-only
    fixture: tests/conftest.py makes its users say local_only)."""
    clear_faults(target.endpoint)
    yield target.endpoint
    clear_faults(target.endpoint)


def count_of(response: requests.Response) -> int:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["count"]


@pytest.mark.local_only(reason=LOCAL_ONLY)
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (503, "ServiceUnavailable"),
        (400, "ThrottlingException"),
        (400, "ProvisionedThroughputExceededException"),
    ],
)
def test_dynamodb_unavailable_answers_503_with_retry_after_and_counting_continues(
    stack, fault_endpoint, status, code
):
    url = stack.url()
    before = count_of(http_get_with_retry(url))
    with injected_fault(
        fault_endpoint, service="dynamodb", operation="UpdateItem", status=status, code=code
    ) as fault:
        failed = [requests.get(url, timeout=TIMEOUT) for _ in range(FAILED_GETS)]
    for response in failed:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"message": "Service Unavailable"}
        assert int(response.headers["retry-after"]) >= 1
    assert fault["hits"] == FAILED_GETS * HANDLER_SDK_ATTEMPTS
    after = count_of(requests.get(url, timeout=TIMEOUT))
    assert after == before + 1, "a failed visit was counted, or a visit was lost"
    print(f"{code}: {fault['hits']} injected UpdateItem errors -> {FAILED_GETS} x 503, 0 lost")


@pytest.mark.local_only(reason=LOCAL_ONLY)
def test_dynamodb_errors_within_the_sdk_retry_budget_are_invisible(stack, fault_endpoint):
    """A failed UpdateItem is retried once inside the function: the visitor sees a 200."""
    url = stack.url()
    before = count_of(http_get_with_retry(url))
    with injected_fault(
        fault_endpoint,
        service="dynamodb",
        operation="UpdateItem",
        status=503,
        code="ServiceUnavailable",
        count=HANDLER_SDK_ATTEMPTS - 1,
    ) as fault:
        assert count_of(requests.get(url, timeout=TIMEOUT)) == before + 1
    assert (fault["hits"], fault["remaining"]) == (HANDLER_SDK_ATTEMPTS - 1, 0)
    print(f"{fault['hits']} injected UpdateItem errors survived: the visitor saw a 200")


def test_1000_concurrent_gets_count_exactly_1000(stack):
    """Runs on both targets: every answer 200, each count handed out once, none lost."""
    url = stack.url()
    start = count_of(http_get_with_retry(url))

    def visit(_: int) -> requests.Response:
        return requests.get(url, timeout=TIMEOUT)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=LOAD_THREADS) as pool:
        responses = list(pool.map(visit, range(LOAD_REQUESTS)))
    wall = time.monotonic() - started
    statuses = {}
    for response in responses:
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    assert statuses == {200: LOAD_REQUESTS}, f"answers by status: {statuses}"
    counts = Counter(count_of(response) for response in responses)
    expected = range(start + 1, start + LOAD_REQUESTS + 1)
    twice = sorted(count for count, seen in counts.items() if seen > 1)
    missing = sorted(set(expected) - set(counts))
    unexpected = sorted(set(counts) - set(expected))
    assert not (twice or missing or unexpected), (
        f"handed out more than once: {twice}; never handed out: {missing}; "
        f"outside {start + 1}..{start + LOAD_REQUESTS}: {unexpected}"
    )
    assert count_of(requests.get(url, timeout=TIMEOUT)) == start + LOAD_REQUESTS + 1
    print(
        f"{LOAD_REQUESTS} GETs through {LOAD_THREADS} threads on {stack.target.name}: "
        f"{wall:.2f}s wall, {LOAD_REQUESTS / wall:.0f} req/s"
    )


@pytest.mark.local_only(reason=LOCAL_ONLY)
@pytest.mark.destroys_shared_stack
def test_destroy_retries_what_is_transient_and_only_that(stack, target, fault_endpoint):
    """Destroys the module's stack through three injected DeleteApi failures, in this order:

    1. 403 AccessDeniedException (not transient): nobody retries, `destroy()` raises at once;
    2. 429 TooManyRequestsException: the AWS provider's SDK retries it inside `terraform destroy`;
    3. 409 ConflictException: the provider gives up, `terraform destroy` fails, and the harness's
       `destroy()` runs it again, which then succeeds.
    Who retried shows in the rules' hit counts and in the retries `destroy()` announces; without
    the harness's retry step 3 fails the test, without the provider's step 2 adds an announcement.
    """
    tf = stack.terraform
    inject_fault(
        fault_endpoint, service="apigatewayv2", method="DELETE", path=API_PATH, status=403,
        code="AccessDeniedException", message="User is not authorized to perform DeleteApi",
    )  # fmt: skip
    announced: list[str] = []
    with pytest.raises(Exception, match="AccessDeniedException") as raised:
        destroy(tf, progress=announced.append)
    assert announced == [], "a non-transient error was retried"
    assert "DeleteApi" in str(raised.value)
    assert [fault["hits"] for fault in clear_faults(fault_endpoint)] == [1]

    throttled = inject_fault(
        fault_endpoint, service="apigatewayv2", method="DELETE", path=API_PATH, status=429,
        code="TooManyRequestsException", message="Too Many Requests", count=1,
    )  # fmt: skip
    conflict = inject_fault(
        fault_endpoint, service="apigatewayv2", method="DELETE", path=API_PATH, status=409,
        code="ConflictException", message="The API is being modified by another request",
        count=1,
    )  # fmt: skip
    started = time.monotonic()
    destroy(tf, progress=announced.append)
    seconds = time.monotonic() - started
    answered = {fault["id"]: fault for fault in clear_faults(fault_endpoint)}
    hits = {fault_id: fault["hits"] for fault_id, fault in answered.items()}
    assert hits == {throttled["id"]: 1, conflict["id"]: 1}
    first_hit = {fault_id: fault["hit_times"][0] for fault_id, fault in answered.items()}
    sdk_backoff = first_hit[conflict["id"]] - first_hit[throttled["id"]]
    assert len(announced) == 1, f"expected exactly one harness retry, got: {announced}"
    assert "ConflictException" in announced[0] and "DeleteApi" in announced[0]
    assert "TooManyRequests" not in announced[0], "the provider did not retry the 429 itself"
    assert_no_leaks(target, stack.prefix)
    print(
        f"destroy: 429 retried by the provider's SDK after {sdk_backoff:.2f}s, 409 by the "
        f"harness ({announced[0].split(':', 1)[0]}); {seconds:.1f}s, nothing left"
    )
