"""The README's main command: `counterstack up` deploys, serves, and destroys on Ctrl-C, and
leaves no aws provider process behind.

It earns a stack of its own: `up` creates (and destroys) its stack in its own account.
"""

import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from counterstack.harness.provider_process import is_running, shared_provider_enabled

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

URL_LINE = re.compile(r"^GET /visitors: (?P<url>http://\S+)$")
PROVIDER_LINE = re.compile(
    r"^==> aws provider shared by every terraform command: pid (?P<pid>\d+)$", re.M
)
ACCOUNT_LINE = re.compile(r"^==> local account ready at (?P<endpoint>http://\S+)$", re.M)
ALARMS_LINE = re.compile(
    r"^Alarms: +5 notify arn:aws:sns:[a-z0-9-]+:\d{12}:(?P<topic>\S+) on ALARM and OK$", re.M
)
# The stack's alarms topic goes through the account's one shared key, not a key of its own.
KEY_LINE = re.compile(
    r"^  encrypted: +arn:aws:kms:\S+ \(alias/counterstack-shared-alarms; the account's shared key",
    re.M,
)
START_TIMEOUT_SECONDS = 180
STOP_TIMEOUT_SECONDS = 180


def read_until_url(lines: queue.Queue, transcript: list[str]) -> str:
    """Read `up`'s output until it prints the URL (lines arrive from a reader thread)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        assert line is not None, f"up exited early:\n{''.join(transcript)}"
        transcript.append(line)
        if match := URL_LINE.match(line.strip()):
            return match["url"]
    raise AssertionError(f"no URL within {START_TIMEOUT_SECONDS} s:\n{''.join(transcript)}")


def pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@pytest.mark.local_only(
    reason="`up` on AWS is exercised by hand; this test drives the local account"
)
def test_up_serves_the_counter_and_destroys_it_on_ctrl_c(name_prefix):
    # Started as a background job is (SIGINT ignored: Python then raises no KeyboardInterrupt),
    # so the Ctrl-C below must be caught by `up` itself, as it is in a terminal.
    process = subprocess.Popen(
        [
            "sh",
            "-c",
            "trap '' INT; exec \"$@\"",
            "sh",
            sys.executable,
            "-m",
            "counterstack.cli",
            "up",
            "--port",
            "0",
            "--page-port",
            "0",
            "--name-prefix",
            prefix := name_prefix(),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=pump, args=(process.stdout, lines), daemon=True).start()
    transcript: list[str] = []
    try:
        url = read_until_url(lines, transcript)
        counts = [requests.get(url, timeout=10).json() for _ in range(2)]
        assert counts == [{"count": 1}, {"count": 2}]
        endpoint = ACCOUNT_LINE.search("".join(transcript))["endpoint"]
        health = requests.get(f"{endpoint}/_counterstack/health", timeout=10).json()
        states = {alarm["name"]: alarm["state"] for alarm in health["alarms"]}
        kinds = ("api-5xx", "api-latency", "lambda-duration", "lambda-errors", "lambda-throttles")
        assert set(states) == {f"{prefix}-{kind}" for kind in kinds}, health
        assert set(states.values()) <= {"INSUFFICIENT_DATA", "OK", "ALARM"}, health
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()  # its account dies with it (--parent-pid), and the stack in it
            process.wait()
            pytest.fail(f"up ignored Ctrl-C for {STOP_TIMEOUT_SECONDS} s:\n{''.join(transcript)}")
        while (line := lines.get(timeout=10)) is not None:
            transcript.append(line)
    output = "".join(transcript)
    assert process.returncode == 128 + signal.SIGINT, output
    assert ALARMS_LINE.search(output)["topic"] == f"{prefix}-alarms", output
    assert KEY_LINE.search(output), output
    for step in ("terraform apply", "terraform destroy", "leak check"):
        assert f"==> {step}" in output
    last_line = f"==> interrupted by SIGINT: stack {prefix} destroyed, no resources left"
    assert output.rstrip().endswith(last_line), output
    if shared_provider_enabled("local"):
        match = PROVIDER_LINE.search(output)
        assert match, output
        assert not is_running(int(match["pid"])), "the shared aws provider outlived `up`"
