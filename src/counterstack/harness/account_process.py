"""Run the local account in a child process.

moto keeps its state in module globals, and `mock_aws()` resets them when a test starts: an
account served from the test process itself would be wiped by any unit test that ran on the
same xdist worker. A child process has its own moto. It runs in its own session (Ctrl-C in a
terminal reaches only the parent, which then destroys the stack while the account is still up)
and stops itself when the parent dies.
"""

import os
import re
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from counterstack.errors import CounterStackError

READY = re.compile(r"local AWS account ready at (?P<endpoint>http://\S+)")
START_TIMEOUT_SECONDS = 60


@contextmanager
def account_process(port: int = 0, region: str = "us-east-1") -> Iterator[str]:
    """Start `counterstack account` as a child; yield its endpoint; stop it afterwards."""
    command = [sys.executable, "-m", "counterstack.cli", "account", "--port", str(port)]
    command += ["--region", region, "--parent-pid", str(os.getpid())]
    with tempfile.TemporaryFile(mode="w+") as errors:
        child = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, text=True, start_new_session=True
        )
        try:
            yield _wait_ready(child, errors)
        finally:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            child.stdout.close()


def _wait_ready(child: subprocess.Popen, errors) -> str:
    """The endpoint from the child's ready line, or the child's last error line as ours."""
    # selectors, not select.select, which fails on descriptors past 1024 (see local.runtime).
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        readable = selector.select(START_TIMEOUT_SECONDS)
    line = child.stdout.readline() if readable else ""
    match = READY.search(line)
    if match:
        return match["endpoint"]
    child.kill()
    child.wait()
    errors.seek(0)
    last = (errors.read().strip().splitlines() or [line.strip() or "no output"])[-1]
    raise CounterStackError(f"the local account did not start: {last}")
