"""A lost answer on a local account fails the run under CI (tests/retried_attempts.py), naming
the count and the tests that shared that account; without CI it stays a printed figure.

A pytest session in a subprocess records one stand-in account whose health reports what the
test says: no lost answer, or one (the planted fault the plugin must not let pass).
"""

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from retried_attempts import lost_answer_failure

from counterstack.paths import REPO_ROOT

pytestmark = pytest.mark.unit

CONFTEST = """
import os, pytest
from retried_attempts import (
    add_lost_answer_option, pytest_runtest_setup, pytest_sessionfinish, pytest_terminal_summary,
    record_retried_attempts,
)

def pytest_addoption(parser):
    add_lost_answer_option(parser.getgroup("counterstack"))

@pytest.fixture(scope="session")
def target(request):
    yield "stand-in"
    record_retried_attempts(request.config, os.environ["STAND_IN_ACCOUNT"], "target")
"""
TESTS = """
def test_uses_the_account(target):
    pass

def test_uses_nothing():
    pass
"""


@pytest.fixture
def account_health() -> Iterator[tuple[str, dict]]:
    """A stand-in account: its health answers whatever `health` holds when asked."""
    health: dict = {}

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(health).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", health
    finally:
        server.shutdown()
        server.server_close()


def run_session(
    tmp_path: Path, endpoint: str, *args: str, ci: str = ""
) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_stand_in.py").write_text(TESTS)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update(CI=ci, STAND_IN_ACCOUNT=endpoint, PYTHONPATH=str(REPO_ROOT / "tests"))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


LOST_ONE = {
    "retried_attempts_by_operation": {"dynamodb.UpdateItem": 1},
    "retried_attempts_recent": [],
}


@pytest.mark.parametrize(("ci", "args"), [("true", ()), ("", ("--fail-on-lost-answers",))])
def test_a_lost_answer_fails_the_run_under_ci_naming_the_tests(tmp_path, account_health, ci, args):
    endpoint, health = account_health
    health.update(LOST_ONE)
    result = run_session(tmp_path, endpoint, *args, ci=ci)
    assert result.returncode == 1, result.stdout
    assert "2 passed" in result.stdout
    assert "1 lost answer(s) on the local account" in result.stdout
    assert "test_stand_in.py::test_uses_the_account" in result.stdout
    assert "test_stand_in.py::test_uses_nothing" not in result.stdout


def test_without_ci_a_lost_answer_is_a_figure(tmp_path, account_health):
    endpoint, health = account_health
    health.update(LOST_ONE)
    result = run_session(tmp_path, endpoint)
    assert result.returncode == 0, result.stdout
    assert "retried SDK attempts (lost answers): 1" in result.stdout


def test_no_lost_answer_passes_under_ci(tmp_path, account_health):
    endpoint, health = account_health
    health.update({"retried_attempts_by_operation": {}, "retried_attempts_recent": []})
    result = run_session(tmp_path, endpoint, ci="true")
    assert result.returncode == 0, result.stdout
    assert "retried SDK attempts (lost answers): 0" in result.stdout


def test_each_account_is_named_with_its_own_tests():
    by_worker = {
        "gw0": {"lost": [{"count": 2, "tests": ["a.py::t1", "a.py::t2"]}]},
        "gw1": {"lost": []},
    }
    failure = lost_answer_failure(by_worker)
    assert failure is not None
    assert failure.splitlines() == [
        "2 lost answer(s) on the local account: a transport bug the SDK retried over",
        "  gw0: 2, on the account these tests shared:",
        "    a.py::t1",
        "    a.py::t2",
    ]
    assert lost_answer_failure({"gw0": {"lost": []}}) is None
