"""Stop signals (SIGINT, SIGTERM) that let a running Terraform command stop the way it stops.

A signal that reached Python as KeyboardInterrupt in the middle of `terraform apply` once ended
the harness's wait for it while Terraform went on applying and held the state lock: the
`terraform destroy` of the teardown then failed on that lock and the stack stayed. Now:

- Terraform runs in a process group of its own (`run`), so Ctrl-C in a terminal, which signals
  the whole foreground group, reaches only this process. The handler forwards exactly one
  SIGINT to the running Terraform command: Terraform stops gracefully (in-flight operations
  finish, the state is written, the lock released); a second SIGINT would make it exit at once
  and lose state, so none is ever sent. A `terraform destroy` of a teardown gets none at all.
- Only the first signal counts. It is delivered as `Interrupted` (a KeyboardInterrupt, so pytest
  stops as on Ctrl-C): at once, outside a `deferred()` block; inside one, at its end or at an
  explicit `checkpoint()`, and when the interrupted Terraform command has exited. Code that must
  not be cut in the middle (starting a command and tracking it, entering a stack and printing
  its URL, a teardown) runs deferred, so a signal is never lost nor lands half-way.
- Later signals change nothing but print one line: the teardown under way is what makes sure
  no resource is left, and SIGKILL is the way out that leaves them.

Handlers exist only in the main thread (Python runs them there); elsewhere, and outside
`handled()`, `run` starts Terraform as before, in this process's group.
"""

import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
FORWARDED = signal.SIGINT  # what Terraform documents as its graceful stop
TWO_INTERRUPTS = "Two interrupts received"  # Terraform, when a second one cut its stop short
POLL_SECONDS = 0.5


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived: the exit code is 128 + its number, as a shell reports it."""

    def __init__(self, signum: int, stopped: subprocess.CompletedProcess | None = None) -> None:
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        self.stopped = stopped  # the command the forwarded SIGINT stopped, and its output
        super().__init__(f"interrupted by {self.signal_name}")

    def stopped_line(self) -> str | None:
        """How the stopped command ended, from its own words (None if none was stopped)."""
        if self.stopped is None:
            return None
        program, *arguments = self.stopped.args
        command = " ".join([Path(program).name, *arguments[:1]])  # e.g. "terraform apply"
        line = f"{command} stopped on the interrupt (exit {self.stopped.returncode})"
        if TWO_INTERRUPTS in self.stopped.stdout + self.stopped.stderr:
            line += "; it got a second one and exited at once: its state may miss resources"
        return line

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class StopSignals:
    """The process's stop-signal state: the first signal, what is deferred, whom to forward to."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.received: int | None = None  # the first stop signal, kept until handled() ends
        self.delivered = False  # raised once as Interrupted: never again
        self.stopped = threading.Event()
        self._installs = 0
        self._previous: dict[int, object] = {}
        self._depth = 0
        self._interruptible: list[subprocess.Popen] = []
        self._forwarded: set[int] = set()

    @property
    def installed(self) -> bool:
        return self._installs > 0

    @contextmanager
    def handled(self) -> Iterator["StopSignals"]:
        """Our handlers for SIGINT and SIGTERM within the block (nested blocks share them)."""
        if not _in_main_thread():
            yield self
            return
        if self._installs == 0:
            self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
        self._installs += 1
        try:
            yield self
        finally:
            self._installs -= 1
            if self._installs == 0:
                for sig, handler in self._previous.items():
                    signal.signal(sig, handler)
                self._reset()

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """A signal within the block is queued; it is delivered when the block ends normally
        (an exception already on its way out is the stop)."""
        if not self.installed or not _in_main_thread():
            yield
            return
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Deliver a signal that arrived and was not delivered yet."""
        if self.received is not None and not self.delivered:
            self.delivered = True
            raise Interrupted(self.received)

    def wait(self) -> None:
        """Block until a stop signal (one that came earlier counts), then deliver it."""
        while not self.stopped.wait(POLL_SECONDS):
            pass
        self.checkpoint()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            _note(
                f"==> {signal.Signals(signum).name} again: the stack's teardown goes on, so that "
                "nothing is left (SIGKILL stops now and leaves resources for `counterstack sweep`)"
            )
            return
        self.received = signum
        self.stopped.set()
        for process in self._interruptible:
            self._forward(process)
        if self._depth == 0:
            self.delivered = True
            raise Interrupted(signum)

    def _forward(self, process: subprocess.Popen) -> None:
        # Tracked processes are not reaped before they are untracked: the pid is still theirs.
        if process.pid in self._forwarded:
            return
        self._forwarded.add(process.pid)
        with suppress(ProcessLookupError):
            os.kill(process.pid, FORWARDED)  # the process, not its group: its plugins ignore it

    @contextmanager
    def _tracked(self, process: subprocess.Popen, interruptible: bool) -> Iterator[None]:
        if interruptible:
            self._interruptible.append(process)
            if self.received is not None:  # it came while the process was being started
                self._forward(process)
        try:
            yield
        finally:
            if interruptible:
                self._interruptible.remove(process)

    def was_forwarded(self, process: subprocess.Popen) -> bool:
        return process.pid in self._forwarded


SIGNALS = StopSignals()


def handled() -> AbstractContextManager[StopSignals]:
    """The process's stop signals handled as this module says, within the block."""
    return SIGNALS.handled()


def run(
    args: Sequence[str], *, cwd: Path | str, env: Mapping[str, str], interruptible: bool = True
) -> subprocess.CompletedProcess:
    """Run a command to its end under the stop signals, its output captured.

    Interruptible: not started once a signal came, sent one SIGINT when one comes, and
    `Interrupted` once it exited. Not interruptible (a teardown's destroy): left to finish.
    """
    options = {
        "cwd": cwd,
        "env": dict(env),
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
        "text": True,
        "encoding": "utf-8",
        "errors": "replace",
    }
    if not (SIGNALS.installed and _in_main_thread()):  # no handler: the group's signal is its
        return subprocess.run(list(args), check=False, **options)
    with SIGNALS.deferred():  # from here until it is tracked, a signal is queued, not raised
        if interruptible:
            SIGNALS.checkpoint()
        process = subprocess.Popen(list(args), process_group=0, **options)
        try:
            with SIGNALS._tracked(process, interruptible):
                out, err = process.communicate()
        except BaseException:  # nothing it does may go on unwatched
            process.kill()
            process.wait()
            raise
        result = subprocess.CompletedProcess(list(args), process.returncode, out, err)
        if interruptible and SIGNALS.was_forwarded(process):
            SIGNALS.delivered = True  # its result is the interrupt's, whatever it says
            raise Interrupted(SIGNALS.received, stopped=result)
    return result


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _note(line: str) -> None:
    """One line to stderr from a signal handler (os.write: print may be mid-write already)."""
    with suppress(OSError):
        os.write(2, (line + "\n").encode())
