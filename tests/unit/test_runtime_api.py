"""The Lambda Runtime API of one execution environment (`counterstack.local.awslambda.runtime_api`),
spoken as a runtime client speaks it: next, then one answer for exactly the event it was given.
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from counterstack.local.awslambda.runtime_api import Event, Outcome, RuntimeApi, RuntimeGone

pytestmark = pytest.mark.unit

PREFIX = "/2018-06-01/runtime"
EVENT = Event("req-1", b'{"a": 1}', 1_700_000_000_000, "arn:fn", "Root=1-x", '{"custom": {}}')


@pytest.fixture
def api():
    runtime_api = RuntimeApi()
    try:
        yield runtime_api
    finally:
        runtime_api.close()


def runtime_client(api: RuntimeApi, *answers: tuple[str, bytes, dict]):
    """A runtime's requests on one keep-alive connection: next, then each (path, body, headers);
    returns what each request was answered, (status, headers, body)."""
    connection = http.client.HTTPConnection(api.address, timeout=30)
    replies = []
    try:
        for method, path, body, headers in [("GET", "/invocation/next", b"", {})] + [
            ("POST", *answer) for answer in answers
        ]:
            connection.request(method, PREFIX + path, body, headers)
            response = connection.getresponse()
            replies.append((response.status, dict(response.getheaders()), response.read()))
    finally:
        connection.close()
    return replies


def test_next_delivers_the_event_with_lambdas_headers_and_the_answer_comes_back(api):
    with ThreadPoolExecutor(1) as pool:
        client = pool.submit(runtime_client, api, ("/invocation/req-1/response", b"42", {}))
        assert api.wait_ready(time.monotonic() + 30) is None  # the runtime waits for an event
        assert api.invoke(EVENT, time.monotonic() + 30) == Outcome("response", b"42")
        (status, headers, body), answered = client.result(timeout=30)
    assert (status, body) == (200, b'{"a": 1}')
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    assert headers["Lambda-Runtime-Deadline-Ms"] == "1700000000000"
    assert headers["Lambda-Runtime-Invoked-Function-Arn"] == "arn:fn"
    assert headers["Lambda-Runtime-Trace-Id"] == "Root=1-x"
    assert headers["Lambda-Runtime-Client-Context"] == '{"custom": {}}'
    assert answered[0] == 202


def test_an_answer_for_another_request_id_is_refused(api):
    error = json.dumps({"errorType": "ValueError", "errorMessage": "no"}).encode()
    error_header = {"Lambda-Runtime-Function-Error-Type": "ValueError"}
    with ThreadPoolExecutor(1) as pool:
        client = pool.submit(
            runtime_client,
            api,
            ("/invocation/other/response", b"1", {}),
            ("/invocation/req-1/error", error, error_header),
        )
        outcome = api.invoke(EVENT, time.monotonic() + 30)
        _, wrong, right = client.result(timeout=30)
    assert wrong[0] == 400 and json.loads(wrong[2])["errorType"] == "InvalidRequestID"
    assert right[0] == 202
    assert outcome == Outcome("error", error, "ValueError")


def test_an_init_error_ends_the_wait_for_readiness(api):
    error = json.dumps({"errorType": "Runtime.ImportModuleError"}).encode()
    connection = http.client.HTTPConnection(api.address, timeout=30)
    headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"}
    with ThreadPoolExecutor(1) as pool:
        posted = pool.submit(connection.request, "POST", PREFIX + "/init/error", error, headers)
        outcome = api.wait_ready(time.monotonic() + 30)
        posted.result(timeout=30)
    assert connection.getresponse().status == 202
    connection.close()
    assert outcome == Outcome("init_error", error, "Runtime.ImportModuleError")


def test_a_runtime_that_ends_is_reported_with_its_status(api):
    api.exited(3)
    with pytest.raises(RuntimeGone) as gone:
        api.wait_ready(time.monotonic() + 30)
    assert gone.value.status == 3
