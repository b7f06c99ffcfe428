"""The Lambda Runtime API of one execution environment (`counterstack.local.awslambda.runtime_api`),
spoken as a runtime client speaks it: next, then one answer for exactly the event it was given.
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

import http.client
import json
import threading
import time

import pytest

from counterstack.local.awslambda.runtime_api import Event, Outcome, RuntimeApi

pytestmark = pytest.mark.unit

PREFIX = "/2018-06-01/runtime"


@pytest.fixture
def api():
    runtime_api = RuntimeApi()
    try:
        yield runtime_api
    finally:
        runtime_api.close()


def request(api: RuntimeApi, method: str, path: str, body: bytes = b"", headers=None):
    connection = http.client.HTTPConnection(api.address, timeout=30)
    try:
        connection.request(method, PREFIX + path, body, headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_next_delivers_the_event_with_lambdas_headers_and_the_answer_comes_back(api):
    got = {}
    poller = threading.Thread(
        target=lambda: got.update(next=request(api, "GET", "/invocation/next"))
    )
    poller.start()
    assert api.wait_ready(timeout=30) is None  # the runtime now waits for an event
    event = Event("req-1", b'{"a": 1}', 1_700_000_000_000, "arn:fn", "Root=1-x", '{"custom": {}}')
    api.deliver(event)
    poller.join(timeout=30)
    status, headers, body = got["next"]
    assert (status, body) == (200, b'{"a": 1}')
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    assert headers["Lambda-Runtime-Deadline-Ms"] == "1700000000000"
    assert headers["Lambda-Runtime-Invoked-Function-Arn"] == "arn:fn"
    assert headers["Lambda-Runtime-Trace-Id"] == "Root=1-x"
    assert headers["Lambda-Runtime-Client-Context"] == '{"custom": {}}'
    assert request(api, "POST", "/invocation/req-1/response", b"42")[0] == 202
    assert api.wait_outcome(time.monotonic() + 30) == Outcome("response", b"42")


def test_an_answer_for_another_request_id_is_refused(api):
    poller = threading.Thread(target=request, args=(api, "GET", "/invocation/next"))
    poller.start()
    api.wait_ready(timeout=30)
    api.deliver(Event("req-2", b"{}", 0, "arn:fn", "Root=1-y"))
    poller.join(timeout=30)
    status, _, body = request(api, "POST", "/invocation/other/response", b"1")
    assert status == 400
    assert json.loads(body)["errorType"] == "InvalidRequestID"
    error = json.dumps({"errorType": "ValueError", "errorMessage": "no"}).encode()
    headers = {"Lambda-Runtime-Function-Error-Type": "ValueError"}
    assert request(api, "POST", "/invocation/req-2/error", error, headers)[0] == 202
    assert request(api, "POST", "/invocation/req-2/response", b"1")[0] == 400  # answered once
    assert api.wait_outcome(time.monotonic() + 30) == Outcome("error", error, "ValueError")


def test_an_init_error_ends_the_wait_for_readiness(api):
    error = json.dumps({"errorType": "Runtime.ImportModuleError"}).encode()
    headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"}
    assert request(api, "POST", "/init/error", error, headers)[0] == 202
    assert api.wait_ready(timeout=30) == Outcome("init_error", error, "Runtime.ImportModuleError")
