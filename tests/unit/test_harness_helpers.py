"""Harness helpers that need no account: prefixes, retries, HttpGetWithRetry."""

import http.server
import threading
from collections.abc import Iterator

import pytest

from counterstack.harness import retry as retry_module
from counterstack.harness import stack as stack_module
from counterstack.harness.http import HttpRetryError, http_get_with_retry
from counterstack.harness.naming import MAX_PREFIX_LENGTH, unique_prefix, validate_prefix
from counterstack.harness.retry import is_transient, retry

pytestmark = pytest.mark.unit


def test_prefixes_are_unique_valid_and_short():
    prefixes = [unique_prefix("a1b2c3d4e5", worker) for worker in ("gw0", "gw1", "master")] * 1
    prefixes += [unique_prefix("a1b2c3", "gw0") for _ in range(50)]
    assert len(set(prefixes)) == len(prefixes)
    for prefix in prefixes:
        assert validate_prefix(prefix) == prefix
        assert len(prefix) <= MAX_PREFIX_LENGTH


@pytest.mark.parametrize("bad", ["", "1abc", "Abc", "a_b", "a" * (MAX_PREFIX_LENGTH + 1), "a b"])
def test_invalid_prefixes_are_rejected(bad):
    with pytest.raises(ValueError, match="name prefix"):
        validate_prefix(bad)


def test_retry_repeats_transient_errors_only():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("ThrottlingException: Rate exceeded")
        return "done"

    assert retry(flaky, attempts=3, sleep_seconds=0) == "done"
    assert len(calls) == 3

    def broken():
        calls.append(1)
        raise RuntimeError("AccessDenied: not allowed")

    calls.clear()
    with pytest.raises(RuntimeError, match="AccessDenied"):
        retry(broken, attempts=3, sleep_seconds=0)
    assert len(calls) == 1


def test_retry_gives_up_after_the_last_attempt():
    calls = []

    def always_throttled():
        calls.append(1)
        raise RuntimeError("TooManyRequestsException")

    with pytest.raises(RuntimeError):
        retry(always_throttled, attempts=4, sleep_seconds=0)
    assert len(calls) == 4


@pytest.mark.parametrize(
    ("message", "transient"),
    [
        ("Error: deleting Lambda Function: ResourceConflictException: pending", True),
        ("api error ThrottlingException: Rate exceeded", True),
        ("read tcp 127.0.0.1: connection reset by peer", True),
        ("StatusCode: 503, ServiceUnavailable", True),
        ("ValidationException: 1 validation error", False),
        ("AccessDeniedException: not authorized", False),
    ],
)
def test_transient_error_classification(message, transient):
    assert is_transient(RuntimeError(message)) is transient


@pytest.fixture
def scripted_server() -> Iterator[tuple[str, list[int]]]:
    """A loopback HTTP server answering the statuses in `script`, one per request."""
    script: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status = script.pop(0) if script else 200
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": %d}' % status)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/visitors", script
    finally:
        server.shutdown()
        server.server_close()


def test_http_get_retries_transient_statuses(scripted_server):
    url, script = scripted_server
    script.extend([404, 500, 503])
    assert http_get_with_retry(url, attempts=5, sleep_seconds=0).json() == {"status": 200}
    assert script == []


def test_http_get_fails_fast_on_unexpected_status(scripted_server):
    url, script = scripted_server
    script.extend([403, 200])
    with pytest.raises(HttpRetryError, match="HTTP 403"):
        http_get_with_retry(url, attempts=5, sleep_seconds=0)
    assert script == [200]


def test_http_get_gives_up_after_attempts(scripted_server):
    url, script = scripted_server
    script.extend([503] * 5)
    with pytest.raises(HttpRetryError, match=r"never answered 200 \(3 tries\)"):
        http_get_with_retry(url, attempts=3, sleep_seconds=0)


def test_http_get_retries_connection_errors():
    with pytest.raises(HttpRetryError, match="ConnectionError"):
        http_get_with_retry("http://127.0.0.1:9/", attempts=2, sleep_seconds=0, timeout=1)


def test_destroy_skips_the_refresh_only_on_its_first_attempt(monkeypatch):
    """`refresh=False` saves a walk after a clean apply; a retry follows a failure and refreshes."""
    monkeypatch.setattr(retry_module.time, "sleep", lambda _seconds: None)
    calls = []

    class FlakyTerraform:
        def destroy(self, auto_approve: bool, refresh: bool) -> str:
            calls.append(refresh)
            if len(calls) == 1:
                raise RuntimeError("ConflictException: the API is being modified")
            return "Destroy complete!"

    stack_module.destroy(FlakyTerraform(), refresh=False)
    assert calls == [False, True]
    calls.clear()
    stack_module.destroy(FlakyTerraform())
    assert calls == [True, True]
