"""The account's transport (`counterstack.local.transport.server`) and its lost-answer counter
(`counterstack.local.transport.retried_attempts`): a request is answered once it is whole,
connections stay open, and a retried SDK attempt of an operation the account did not fail is
counted on health."""

import json
import socket
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from account_helpers import REGION

from counterstack.harness.account_process import account_process
from counterstack.harness.plan import local_aws_server
from counterstack.local.client import HEALTH_PATH
from counterstack.local.transport.server import EVICT_IDLE_AFTER_SECONDS, EVICT_IDLE_AT

SERVER = "checks the local account's HTTP server on its own socket"
# Every test here starts or talks to local servers: on --target aws they would test nothing of AWS.
pytestmark = [pytest.mark.account, pytest.mark.local_only(reason=SERVER)]

LATE_BODY = b"x" * 64


def health(endpoint: str) -> dict:
    return requests.get(endpoint + HEALTH_PATH, timeout=10).json()


def address(endpoint: str) -> tuple[str, int]:
    parts = urlsplit(endpoint)
    return parts.hostname, parts.port


def read_answer(sock: socket.socket) -> bytes:
    """One whole answer: headers, then content-length bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return head


def test_a_late_body_gets_its_answer_and_the_connection_stays_open(local_account):
    """werkzeug answered before the body arrived, closed, and the late body drew a TCP RST (a known
    way to lose answers); the account now answers a whole request and keeps the connection
    open for the next one (keep-alive: SDKs do not pay a connect per call)."""
    host, port = address(local_account.endpoint)
    request = (
        f"POST {HEALTH_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Length: {len(LATE_BODY)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=10) as sock:
        for _ in range(2):
            sock.sendall(request)
            time.sleep(0.05)
            sock.sendall(LATE_BODY)
            head = read_answer(sock)
            assert head.startswith(b"HTTP/1.1 200"), head
            assert b"connection: close" not in head.lower(), head


def test_idle_connections_piling_up_are_closed_oldest_first(local_account):
    """A client that keeps its responses alive keeps a socket per request: waitress stopped
    accepting at its connection limit and the next request hung (the 1,000-GET load test)."""
    host, port = address(local_account.endpoint)
    request = f"GET {HEALTH_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    kept = []
    try:
        for _ in range(EVICT_IDLE_AT + 20):
            sock = socket.create_connection((host, port), timeout=10)
            kept.append(sock)
            sock.sendall(request)
            read_answer(sock)
        time.sleep(EVICT_IDLE_AFTER_SECONDS + 0.5)
        with socket.create_connection((host, port), timeout=10) as fresh:
            fresh.sendall(request)
            assert read_answer(fresh).startswith(b"HTTP/1.1 200")
        assert kept[0].recv(1) == b"", "the connection idle longest is still open"
        kept[-1].sendall(request)  # the newest ones stay usable
        assert read_answer(kept[-1]).startswith(b"HTTP/1.1 200")
    finally:
        for sock in kept:
            sock.close()


@pytest.fixture(scope="module", params=["account", "plan-moto-server"])
def counting_account(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server of their own for the tests that fake lost answers, so the session's servers
    report only real ones at the end of the run: an account, and the moto server plans use."""
    if request.param == "account":
        with account_process(port=0, region=REGION) as endpoint:
            yield endpoint
    else:
        with local_aws_server() as endpoint:
            yield endpoint


def sdk_call(endpoint: str, target: str, body: str, invocation: str, attempt: int) -> int:
    """One DynamoDB JSON call carrying the SDK's attempt headers; its status."""
    response = requests.post(
        endpoint + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"DynamoDB_20120810.{target}",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=0",
            "amz-sdk-invocation-id": invocation,
            "amz-sdk-request": f"attempt={attempt}; max=3",
        },
        timeout=10,
    )
    return response.status_code


def test_a_retry_of_an_answered_operation_counts_as_a_lost_answer(counting_account):
    endpoint, invocation = counting_account, str(uuid.uuid4())
    before = health(endpoint)
    assert sdk_call(endpoint, "ListTables", "{}", invocation, attempt=1) == 200
    assert health(endpoint)["retried_attempts"] == before["retried_attempts"]
    assert sdk_call(endpoint, "ListTables", "{}", invocation, attempt=2) == 200
    after = health(endpoint)
    assert after["retried_attempts"] == before["retried_attempts"] + 1
    by_operation = after["retried_attempts_by_operation"]
    assert (
        by_operation["DynamoDB_20120810.ListTables"]
        == before["retried_attempts_by_operation"].get("DynamoDB_20120810.ListTables", 0) + 1
    )
    assert {
        "operation": "DynamoDB_20120810.ListTables",
        "invocation_id": invocation,
        "attempt": 2,
        "earlier_status": 200,
    } in after["retried_attempts_recent"]


def test_a_retry_whose_first_attempt_never_arrived_counts_as_lost(counting_account):
    before, invocation = health(counting_account)["retried_attempts"], str(uuid.uuid4())
    sdk_call(counting_account, "ListTables", "{}", invocation, attempt=2)
    after = health(counting_account)
    assert after["retried_attempts"] == before + 1
    recent = {lost["invocation_id"]: lost for lost in after["retried_attempts_recent"]}
    assert recent[invocation]["earlier_status"] is None


def test_a_retry_after_an_error_answer_is_expected(counting_account):
    """The SDK retrying an error (a throttle, a 5xx, an injected fault) is not a lost answer."""
    endpoint, invocation = counting_account, str(uuid.uuid4())
    missing = json.dumps({"TableName": f"no-such-table-{invocation[:8]}"})
    before = health(endpoint)
    assert sdk_call(endpoint, "DescribeTable", missing, invocation, attempt=1) == 400
    assert sdk_call(endpoint, "DescribeTable", missing, invocation, attempt=2) == 400
    after = health(endpoint)
    assert after["retried_attempts"] == before["retried_attempts"]
    assert after["retried_after_error"] == before["retried_after_error"] + 1
