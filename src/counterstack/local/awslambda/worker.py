"""One execution environment: AWS's runtime client in a process, its Runtime API, its output.

The process runs `bootstrap.py` (awslambdaric) isolated, with `AWS_LAMBDA_RUNTIME_API` pointing
at this environment's own `RuntimeApi`. Everything it writes to stdout and stderr is the
function's log: a reader thread collects it, and at the end of an invocation whatever the
runtime wrote before answering is drained, so each invocation gets its own lines.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from counterstack.local.awslambda.runtime_api import Event, Outcome, RuntimeApi, RuntimeGone

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
INIT_TIMEOUT_SECONDS = 10.0  # Lambda's init phase limit


@dataclass
class Run:
    """What one invocation produced in its environment."""

    outcome: Outcome | None  # the runtime's answer, None when it timed out or exited
    exit_status: int | None = None  # the process ended during the invocation (or its init)
    timed_out: bool = False
    output: list[str] = field(default_factory=list)  # log events the function wrote
    init_output: list[str] = field(default_factory=list)  # written during a cold start's init
    duration_ms: float = 0.0
    init_ms: float | None = None  # on the environment's first invocation only
    max_memory_mb: int = 0


class Worker:
    """A warm execution environment: the runtime client's process and its Runtime API."""

    def __init__(self, python: str, code_dir: Path, env: dict[str, str]) -> None:
        self.log_stream = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.api = RuntimeApi()
        self._started = time.monotonic()
        self._ready = False
        self._peak_mb = 0
        try:
            # -I -S: no venv or user site-packages, no PYTHON* variables; -B: no .pyc in the code.
            self.process = subprocess.Popen(
                [python, "-I", "-S", "-B", "-u", str(BOOTSTRAP)],
                cwd=code_dir,
                env={**env, "AWS_LAMBDA_RUNTIME_API": self.api.address},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        except BaseException:
            self.api.close()
            raise
        self._fd = self.process.stdout.fileno()
        os.set_blocking(self._fd, False)
        self._output = bytearray()
        self._output_lock = threading.Lock()
        threading.Thread(
            target=self._read_output, name="counterstack-lambda-output", daemon=True
        ).start()

    def invoke(
        self,
        payload: bytes,
        request_id: str,
        function_arn: str,
        timeout: float,
        client_context: str | None = None,
    ) -> Run:
        """Hand one event to the runtime and wait for its answer, its exit or the timeout."""
        run = Run(outcome=None)
        if not self._ready:
            try:
                run.outcome = self.api.wait_ready(time.monotonic() + INIT_TIMEOUT_SECONDS)
            except TimeoutError:
                run.timed_out = True
            except RuntimeGone as gone:
                run.exit_status = self._exit_status(gone)
            self._ready = run.outcome is None and not run.timed_out and run.exit_status is None
            run.init_ms = (time.monotonic() - self._started) * 1000
            run.init_output = self._drain()
            if not self._ready:
                run.max_memory_mb = self._memory_mb()
                return run
        started = time.monotonic()
        event = Event(
            request_id=request_id,
            payload=payload,
            deadline_ms=int((time.time() + timeout) * 1000),
            function_arn=function_arn,
            trace_id=_trace_id(),
            client_context=client_context,
        )
        try:
            run.outcome = self.api.invoke(event, started + timeout)
        except TimeoutError:
            run.timed_out = True
        except RuntimeGone as gone:
            run.exit_status = self._exit_status(gone)
        run.duration_ms = (time.monotonic() - started) * 1000
        run.max_memory_mb = self._memory_mb()
        run.output = self._drain()
        return run

    def _exit_status(self, gone: RuntimeGone) -> int | None:
        return gone.status if gone.status is not None else self.process.wait()

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.api.close()  # the output reader closes the pipe once it sees end of file

    def _read_output(self) -> None:
        """Collect the process's output until it ends, then report its exit status."""
        with selectors.DefaultSelector() as selector:  # not select(): fds may pass 1024
            selector.register(self._fd, selectors.EVENT_READ)
            while True:
                selector.select()
                with self._output_lock:
                    if not self._read_available():
                        break
        self.process.stdout.close()  # here, not in kill(): a reused fd number is never read
        self.api.exited(self.process.wait())

    def _read_available(self) -> bool:
        """Append what the pipe holds now; False at end of file (or once it is closed)."""
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            self._output += chunk

    def _drain(self) -> list[str]:
        """The log events written so far: one per line, as Lambda splits stdout."""
        with self._output_lock:
            self._read_available()
            text, self._output[:] = self._output.decode("utf-8", "replace"), b""
        # awslambdaric joins a multi-line error record with \r to keep it one event on stdout
        # (Lambda's own telemetry channel keeps it whole with \n): one event, as there.
        return [line.replace("\r", "\n").rstrip("\n") for line in text.split("\n") if line]

    def _memory_mb(self) -> int:
        """The process's peak resident memory (VmHWM), what REPORT calls Max Memory Used."""
        with (
            contextlib.suppress(OSError, ValueError),
            open(f"/proc/{self.process.pid}/status") as status,
        ):
            for line in status:
                if line.startswith("VmHWM:"):  # kB
                    self._peak_mb = max(self._peak_mb, -(-int(line.split()[1]) // 1024))
        return self._peak_mb


def _trace_id() -> str:
    """An X-Ray trace header value, as Lambda passes one to every invocation."""
    hex_id = uuid.uuid4().hex
    return f"Root=1-{int(time.time()):08x}-{hex_id[:24]};Parent={hex_id[24:]}0000;Sampled=0"
