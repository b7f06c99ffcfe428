"""Stop signals: one SIGINT forwarded to the running command, none lost, none doubled.

The process-level cases run a small driver (`interrupts.run` under `handled()`) in a session of
its own, so a signal to its whole group cannot reach pytest; its child stands in for Terraform
and counts the signals it gets.
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from counterstack.harness import interrupts
from counterstack.harness.interrupts import Interrupted

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def fresh_signals(monkeypatch):
    """Each test gets the module's state new: a session fixture of the same worker (the shared
    stack of the default run) may hold `handled()` open, and its first signal would stay."""
    monkeypatch.setattr(interrupts, "SIGNALS", interrupts.StopSignals())


# Terraform's stand-in: it names each stop signal it gets and who sent it (its parent, the
# driver, or someone else), so a group signal that reached it directly shows, even though a
# second SIGINT pending at the same time would merge into the first. Like Terraform, it takes a
# moment to stop after the first, and counts what arrives meanwhile.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    stops = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)  # taken one by one below, with the sender
    with open(sys.argv[1] + ".tmp", "w") as ready:
        ready.write(str(os.getpid()))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    got = [signal.sigwaitinfo(stops)]
    while more := signal.sigtimedwait(stops, 0.3):  # stopping gracefully
        got.append(more)
    senders = {os.getppid(): "parent"}
    print("child got:", ", ".join(
        f"{signal.Signals(info.si_signo).name} from {senders.get(info.si_pid, 'elsewhere')}"
        for info in got))
    sys.exit(1)
    """
)
DRIVER = textwrap.dedent(
    """
    import os, sys
    from counterstack.harness import interrupts
    child, ready, interruptible = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    with interrupts.handled() as signals:
        try:
            with signals.deferred():  # as a teardown runs: a signal is delivered at its end
                result = interrupts.run([sys.executable, "-c", child, ready], cwd=".",
                                        env=os.environ, interruptible=interruptible)
                print(result.stdout.strip())
                print("finished", result.returncode, flush=True)
        except interrupts.Interrupted as interrupted:
            if interrupted.stopped is not None:
                print(interrupted.stopped.stdout.strip())
                print(interrupted.stopped_line())
            sys.exit(interrupted.exit_code)
    """
)


def drive(tmp_path, send, interruptible: bool = True) -> tuple[int, list[str]]:
    """Run the driver, wait for its child to be ready, `send(driver_pid, child_pid)`; the
    driver's exit code and lines."""
    ready = tmp_path / "ready"
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, CHILD, str(ready), "1" if interruptible else "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert driver.poll() is None, driver.stdout.read()
            assert time.monotonic() < deadline, "the child never got ready"
            time.sleep(0.01)
        send(driver.pid, int(ready.read_text()))
        out, _ = driver.communicate(timeout=30)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
    return driver.returncode, out.splitlines()


@pytest.mark.parametrize(
    ("send", "exit_code"),
    [
        pytest.param(lambda up, _: os.kill(up, signal.SIGINT), 130, id="sigint-to-the-process"),
        pytest.param(lambda up, _: os.killpg(up, signal.SIGINT), 130, id="sigint-to-the-group"),
        pytest.param(lambda up, _: os.kill(up, signal.SIGTERM), 143, id="sigterm-to-the-process"),
    ],
)
def test_the_running_command_gets_exactly_one_sigint(tmp_path, send, exit_code):
    code, lines = drive(tmp_path, send)
    assert lines[0] == "child got: SIGINT from parent", lines  # not the group's, nor two
    assert lines[1].endswith("stopped on the interrupt (exit 1)"), lines
    assert code == exit_code, lines


def test_a_command_that_is_not_interruptible_is_left_to_finish(tmp_path):
    def send(driver: int, child: int) -> None:
        os.kill(driver, signal.SIGTERM)  # not passed on: the child would count a SIGINT
        os.kill(child, signal.SIGTERM)  # the child stops on a signal of its own only

    code, lines = drive(tmp_path, send, interruptible=False)
    assert lines[:2] == ["child got: SIGTERM from elsewhere", "finished 1"], lines  # the test's
    assert code == 143, lines  # the driver's SIGTERM, delivered once the command finished


def test_a_signal_outside_a_deferred_block_is_raised_at_once():
    with interrupts.handled(), pytest.raises(Interrupted) as raised:
        signal.raise_signal(signal.SIGINT)
        pytest.fail("the handler did not raise")
    assert raised.value.exit_code == 130


def test_a_signal_in_a_deferred_block_is_raised_at_its_end_and_only_once(capfd):
    reached_the_end = False
    with interrupts.handled() as signals:
        with pytest.raises(Interrupted) as raised, signals.deferred():
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGINT)  # a second signal: a note, nothing more
            reached_the_end = True
        signals.checkpoint()  # delivered already: not again
    assert reached_the_end
    assert raised.value.signal_name == "SIGTERM"
    assert raised.value.exit_code == 143
    assert "SIGINT again" in capfd.readouterr().err


def test_wait_returns_on_a_signal_that_came_before_it():
    with interrupts.handled() as signals:
        with pytest.raises(Interrupted), signals.deferred():
            signal.raise_signal(signal.SIGINT)
        signals.wait()  # the signal was delivered above: wait does not block on it


def test_wait_raises_when_a_signal_comes():
    timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
    with interrupts.handled() as signals, pytest.raises(Interrupted):
        timer.start()
        signals.wait()


def test_handlers_are_restored_and_the_state_reset_afterwards():
    before = {sig: signal.getsignal(sig) for sig in interrupts.STOP_SIGNALS}
    with interrupts.handled() as signals:
        with interrupts.handled():  # nested: shares them
            pass
        assert signal.getsignal(signal.SIGINT) == signals._handle
        with pytest.raises(Interrupted):
            signal.raise_signal(signal.SIGINT)
    assert {sig: signal.getsignal(sig) for sig in interrupts.STOP_SIGNALS} == before
    assert interrupts.SIGNALS.received is None
