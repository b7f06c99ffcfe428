"""An interrupted `up` destroys its stack, whenever the signal comes, and says so in one line.

Each case runs `counterstack up --target aws` with `AWS_ENDPOINT_URL` pointed at an account this
test started (fake keys), so the account outlives the interrupted `up`: a local account that died
with `up` would make "nothing left" true by default. The signal goes at a moment read from `up`'s
output or from the account, never after a sleep: during `terraform init`, during `terraform
apply` (once a resource exists, which proves the apply is under way), as the URL prints, and
while serving; SIGTERM once; and once to `up`'s whole process group, as Ctrl-C in a terminal
sends it (Terraform must then get one interrupt, not two). Then the account holds nothing under
the stack's prefix, the exit code is 128 + the signal, the last line says what was torn down, and
no traceback was printed.

It earns stacks of its own: each case interrupts one.
"""

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from counterstack.harness.inventory import list_resources
from counterstack.harness.provider_process import SHARED_PROVIDER_ENV
from counterstack.harness.stack import stack_keys
from counterstack.harness.target import Target, local_target
from counterstack.paths import REPO_ROOT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.local_only(
        reason="needs an account that outlives the interrupted `up`: the project's own, "
        "started by the test as a plain AWS endpoint"
    ),
]

REGION = "eu-west-1"
START_TIMEOUT_SECONDS = 240  # an apply of examples/complete with Terraform's own provider
STOP_TIMEOUT_SECONDS = 240  # an interrupted apply winding down, then a destroy
URL_LINE = re.compile(r"^GET /visitors: http://\S+$")


@dataclass(frozen=True)
class Moment:
    """When the signal goes: after `line` appears in `up`'s output (and, with `in_account`,
    once the account holds one of the stack's resources)."""

    name: str
    line: Callable[[str], bool]
    torn_down: str  # the last line's end: what `up` says it tore down
    in_account: bool = False


DESTROYED = "destroyed, no resources left"
INIT = Moment(
    "during init",
    lambda line: line == "==> terraform init",
    "stopped before its apply, no resources left",
)
APPLY = Moment(
    "during apply", lambda line: line == "==> terraform apply", DESTROYED, in_account=True
)
URL = Moment("as the URL prints", lambda line: bool(URL_LINE.match(line)), DESTROYED)
SERVING = Moment(
    "while serving", lambda line: line.startswith("==> serving; press Ctrl-C"), DESTROYED
)


@pytest.fixture(scope="module")
def account() -> Iterator[Target]:
    """The project's account as a child of this test (its own session): not `up`'s."""
    with local_target(region=REGION) as target:
        yield target


def up_environment(endpoint: str, shared_provider: bool = False) -> dict[str, str]:
    """`--target aws` through AWS_ENDPOINT_URL with fake keys, as scripts/rehearse-nightly runs."""
    dropped = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"]
    if shared_provider:  # with it, a shared provider's second configuration fails (DESIGN.md)
        dropped.append("AWS_CA_BUNDLE")
    environment = {name: value for name, value in os.environ.items() if name not in dropped}
    environment.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION=REGION,
    )
    environment[SHARED_PROVIDER_ENV] = "1" if shared_provider else "0"
    return environment


def pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


class Up:
    """`counterstack up` in a session of its own (so its group can be signalled alone), with
    its output read line by line."""

    def __init__(self, prefix: str, endpoint: str, shared_provider: bool = False) -> None:
        command = [sys.executable, "-m", "counterstack.cli", "up", "--target", "aws"]
        command += ["--region", REGION, "--page-port", "0", "--name-prefix", prefix]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=up_environment(endpoint, shared_provider),
            start_new_session=True,
        )
        self.lines: queue.Queue = queue.Queue()
        self.transcript: list[str] = []
        threading.Thread(target=pump, args=(self.process.stdout, self.lines), daemon=True).start()

    def output(self) -> str:
        return "\n".join(self.transcript)

    def read_until(self, wanted: Callable[[str], bool]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            assert line is not None, f"up exited before the moment:\n{self.output()}"
            self.transcript.append(line)
            if wanted(line):
                return
        raise AssertionError(f"the moment did not come within the time-out:\n{self.output()}")

    def wait(self) -> int:
        """`up`'s exit code, once it ended and its output is read to the end."""
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"up did not stop within {STOP_TIMEOUT_SECONDS} s:\n{self.output()}")
        while (line := self.lines.get(timeout=30)) is not None:
            self.transcript.append(line)
        return self.process.returncode

    def kill(self) -> None:
        """The last resort of a failed case: the whole group, Terraform included."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def wait_for_a_resource(account: Target, prefix: str, up: Up) -> None:
    """Until the account holds one of the stack's resources: the apply is under way."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not list_resources(account.client, f"{prefix}-"):
        assert up.process.poll() is None, f"up ended before it created anything:\n{up.output()}"
        assert time.monotonic() < deadline, f"the apply created nothing:\n{up.output()}"
        time.sleep(0.05)


# The last flag: Terraform's commands share one aws provider process (its own session, as on
# the local target) instead of starting their own (as on AWS): a group signal must not reach
# it, and after a stopped apply it must still serve the destroy.
CASES = [
    pytest.param(INIT, signal.SIGINT, False, False, id="sigint-during-init"),
    pytest.param(APPLY, signal.SIGINT, False, False, id="sigint-during-apply"),
    pytest.param(URL, signal.SIGINT, False, True, id="sigint-as-the-url-prints"),
    pytest.param(SERVING, signal.SIGINT, False, True, id="sigint-while-serving"),
    pytest.param(APPLY, signal.SIGTERM, False, True, id="sigterm-during-apply"),
    pytest.param(APPLY, signal.SIGINT, True, True, id="sigint-to-the-group-during-apply"),
]


@pytest.mark.parametrize(("moment", "sent", "to_group", "shared_provider"), CASES)
def test_an_interrupted_up_destroys_its_stack(
    account, name_prefix, moment, sent, to_group, shared_provider
):
    prefix = name_prefix()
    up = Up(prefix, account.endpoint, shared_provider)
    try:
        up.read_until(moment.line)
        if moment.in_account:
            wait_for_a_resource(account, prefix, up)
        (os.killpg if to_group else os.kill)(up.process.pid, sent)
        exit_code = up.wait()
    finally:
        if up.process.poll() is None:
            up.kill()
    output = up.output()
    left = [*list_resources(account.client, f"{prefix}-"), *stack_keys(account.client, prefix)]
    swept = [line for line in up.transcript if line.startswith("==> sweeping")]
    print(
        f"{moment.name}, {sent.name}{' to the group' if to_group else ''}"
        f"{', shared provider' if shared_provider else ''}: exit {exit_code}, "
        f"last line {up.transcript[-1]!r}, {len(left)} resource(s) left; {swept or 'no sweep'}"
    )

    assert left == [], output
    assert "Traceback" not in output, output
    assert exit_code == 128 + sent, output
    assert up.transcript[-1] == f"==> interrupted by {sent.name}: stack {prefix} {moment.torn_down}"
    if moment is INIT:  # the signal landed mid-init: the apply never started
        assert "==> terraform apply" not in up.transcript, output
    if moment is APPLY:  # the signal landed mid-apply: the URL never printed
        assert not any(URL_LINE.match(line) for line in up.transcript), output
        # Terraform got one SIGINT (it says so when a second one cuts its stop short), and
        # exited on it before the destroy started: the destroy found the lock released.
        stopped = up.transcript.index("==> terraform apply stopped on the interrupt (exit 1)")
        assert stopped < up.transcript.index("==> terraform destroy"), output


INNER_TEST = """
import os, time
from pathlib import Path
from counterstack.paths import EXAMPLE_COMPLETE

def test_body_that_is_interrupted(stack_factory):
    with stack_factory(EXAMPLE_COMPLETE):
        Path(os.environ["IN_BODY_FILE"]).write_text("in the test body")
        time.sleep(600)  # interrupted long before
"""


@pytest.mark.parametrize("in_body", [False, True], ids=["during-apply", "in-the-test-body"])
def test_an_interrupted_test_run_destroys_its_stack(account, tmp_path, in_body):
    """`pytest --target aws` interrupted by one SIGINT: its stack goes too, lock released."""
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    in_body_file = tmp_path / "in-body"
    environment = {
        **up_environment(account.endpoint, shared_provider=in_body),  # both ways, once each
        "PYTHONPATH": str(REPO_ROOT / "tests"),  # `-p conftest`: the repo's fixtures
        "IN_BODY_FILE": str(in_body_file),
    }
    command = [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider"]
    before = set(list_resources(account.client, "ct-"))  # an earlier failed case's leftovers
    session = subprocess.Popen(
        [*command, "-q", "--target", "aws", str(tmp_path / "test_inner.py")],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )

    # Its prefix is its own (ct- and a run id of its own): what is new under ct- is its.
    def its_resources() -> set:
        return set(list_resources(account.client, "ct-")) - before

    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not (in_body_file.exists() if in_body else its_resources()):
            assert session.poll() is None, session.stdout.read()
            assert time.monotonic() < deadline, "the moment did not come within the time-out"
            time.sleep(0.05)
        session.send_signal(signal.SIGINT)
        output, _ = session.communicate(timeout=STOP_TIMEOUT_SECONDS)
    finally:
        if session.poll() is None:
            os.killpg(session.pid, signal.SIGKILL)
            session.wait()
    left = its_resources()
    print(
        f"pytest interrupted {'in the body' if in_body else 'during apply'}: "
        f"exit {session.returncode}, {len(left)} resource(s) left"
    )

    assert left == set(), output
    assert session.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "LeakError" not in output and "state lock" not in output, output
