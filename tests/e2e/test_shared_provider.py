"""No shared aws provider process outlives its owner: a pytest session (plain or an xdist
worker), or one killed with SIGKILL. `test_up` proves the same for `counterstack up`."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from counterstack.harness.provider_process import find_provider_binary, is_running
from counterstack.paths import REPO_ROOT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.local_only(
        reason="the shared provider process is on by default on the local target"
    ),
]

INNER_TEST = """
import os, time
from pathlib import Path

def test_start_the_provider(provider):
    with provider.attached():
        Path(os.environ["PID_FILE"]).write_text(str(provider.pid))
    time.sleep(float(os.environ["LINGER"]))
"""
END_TIMEOUT_SECONDS = 15


@pytest.fixture
def inner_session(tmp_path: Path):
    """Start a pytest session that uses the repo's `provider` fixture; yield (process, pid file)."""
    if find_provider_binary() is None:
        pytest.skip("needs an aws provider binary in the mirror")
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    pid_file = tmp_path / "provider.pid"

    def start(*options: str, linger: float = 0) -> subprocess.Popen:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT / "tests"),  # `-p conftest`: the repo's fixtures
            "PID_FILE": str(pid_file),
            "LINGER": str(linger),
            "COUNTERSTACK_SHARED_PROVIDER": "1",
        }
        command = [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider"]
        return subprocess.Popen(
            [*command, "-q", *options, str(tmp_path / "test_inner.py")],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    return start, pid_file


def wait_until_ended(pid: int) -> bool:
    deadline = time.monotonic() + END_TIMEOUT_SECONDS
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not is_running(pid)


@pytest.mark.parametrize("workers", ["0", "1"])
def test_provider_ends_with_the_session(inner_session, workers):
    start, pid_file = inner_session
    session = start("-n", workers)
    output, _ = session.communicate(timeout=180)
    assert session.returncode == 0, output
    pid = int(pid_file.read_text())
    assert pid != session.pid
    assert not is_running(pid), f"provider {pid} outlived the session:\n{output}"


def test_provider_ends_when_the_session_is_killed(inner_session):
    start, pid_file = inner_session
    session = start("-n", "0", linger=120)
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text():
            assert session.poll() is None, session.stdout.read()
            assert time.monotonic() < deadline, "the provider did not start within 120 s"
            time.sleep(0.1)
        pid = int(pid_file.read_text())
        assert is_running(pid)
    finally:
        session.send_signal(signal.SIGKILL)  # no fixture teardown, no atexit
        session.wait()
        session.stdout.close()
    assert wait_until_ended(pid), f"provider {pid} outlived its SIGKILLed session"
