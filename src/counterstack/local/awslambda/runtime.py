"""Lambda runtime of the local account: the deployed zip runs in warm worker processes.

A cold process per request would cost a boto3 import (hundreds of milliseconds) every time, so
each function version gets a small pool of long-lived workers, like Lambda's execution
environments. A pool is keyed by everything that defines an environment (code hash, handler,
runtime, timeout, memory, environment variables): when any of it changes, the old workers are
retired and the next invocation starts fresh ones, as an update does on Lambda.

Each worker is AWS's own runtime client (`awslambdaric`, see `worker`) talking to its own
Lambda Runtime API (`runtime_api`): the context object, logging set-up, `Runtime.*` errors and
response marshalling are AWS's code. Workers run the runtime's interpreter when the machine has
it (else the account's own), isolated from the project's venv, with only the zip and the
runtime's libraries importable (`execution_environment`), Lambda's environment variables, the
execution role's session credentials (`credentials`), and `AWS_ENDPOINT_URL` pointing back at
the account so the code's SDK calls land there. What the Lambda service adds around the runtime
is here: START/END/REPORT lines (`function_logs`), the timeout (the worker is killed), a process
that exits mid-invocation (`Runtime.ExitError`, the environment replaced). Concurrency is
Lambda's (`concurrency`): past a reservation or the account quota an invocation fails at once.
"""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from counterstack.errors import CounterStackError
from counterstack.local.awslambda import execution_environment, function_logs
from counterstack.local.awslambda.concurrency import ConcurrencyLimits, Throttled
from counterstack.local.awslambda.function_logs import Report
from counterstack.local.awslambda.worker import Run, Worker
from counterstack.local.provider import FAKE_ACCESS_KEY, FAKE_SECRET_KEY

__all__ = ["FunctionSpec", "Invocation", "LambdaRuntime", "Throttled", "UnsupportedRuntime"]

# Processes per function: a laptop is not Lambda's fleet. Invocations within the function's
# concurrency but past this cap wait for a worker (Lambda would start another environment).
LOCAL_CONCURRENCY_CAP = 4
QUEUE_TIMEOUT_SECONDS = 30.0
SIGNAL_WORDS = {signal.SIGKILL: "killed", signal.SIGSEGV: "segmentation fault"}
# Without an execution role to assume (a runtime used on its own, in tests): SDK calls are
# signed with the account's admin key, as before roles were enforced.
ADMIN_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
    "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
    "AWS_SESSION_TOKEN": "test",  # any token: the account checks none for its admin key
}


class UnsupportedRuntime(CounterStackError):
    """The function's runtime cannot run here (only python3.x can)."""


@dataclass(frozen=True)
class FunctionSpec:
    """What defines one execution environment of a deployed function version."""

    function_arn: str
    function_name: str
    region: str
    version: str
    handler: str
    runtime: str
    timeout: float
    memory_size: int
    environment: tuple[tuple[str, str], ...]
    code_sha256: str
    reserved_concurrency: int | None
    code: bytes = field(repr=False, compare=False, hash=False)
    role_arn: str = ""  # the execution role: its session signs the function's SDK calls
    # LoggingConfig: the runtime client reads the format and level from the environment.
    log_format: str = "Text"
    application_log_level: str = ""
    system_log_level: str = ""
    log_group: str = ""  # LoggingConfig.LogGroup; Lambda's default when empty

    @property
    def log_group_name(self) -> str:
        return self.log_group or f"/aws/lambda/{self.function_name}"


@dataclass
class Invocation:
    """Result of one invocation: the payload bytes, whether it failed, and its log events."""

    payload: bytes
    error: str | None  # None, or the X-Amz-Function-Error value ("Unhandled")
    log_lines: list[str]  # what Lambda writes to the stream: START, the function's, END, REPORT
    request_id: str
    duration_ms: float
    log_stream: str = ""
    error_type: str | None = None  # errorType of a failed invocation (Runtime.ExitError, …)

    @property
    def logs(self) -> str:
        """The log as one text (what LogType=Tail returns the end of)."""
        return "".join(line + "\n" for line in self.log_lines)


class FunctionPool:
    """The warm workers of one function version, at most `size` of them busy at once."""

    def __init__(self, spec: FunctionSpec, code_dir: Path, make_env) -> None:
        self.spec = spec
        self.code_dir = code_dir
        self.make_env = make_env
        self.size = LOCAL_CONCURRENCY_CAP
        self.idle: list[Worker] = []
        self.workers: set[Worker] = set()  # idle and busy, to kill them all on shutdown
        self.count = 0
        self.retired = False
        self.condition = threading.Condition()

    def acquire(self) -> Worker:
        deadline = time.monotonic() + QUEUE_TIMEOUT_SECONDS
        with self.condition:
            while True:
                while self.idle:
                    worker = self.idle.pop()
                    if worker.alive():
                        return worker
                    self.count -= 1
                if self.count < self.size:
                    self.count += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.condition.wait(remaining):
                    raise Throttled("LocalWorkerQueueTimeout")
        try:
            python = execution_environment.interpreter(self.spec.runtime)
            worker = Worker(python, self.code_dir, self.make_env(self.spec, self.code_dir))
        except BaseException:
            self.discard(None)
            raise
        with self.condition:
            self.workers.add(worker)
        return worker

    def release(self, worker: Worker) -> None:
        with self.condition:
            if self.retired or not worker.alive():
                self.count -= 1
                self.workers.discard(worker)
                worker.kill()
            else:
                self.idle.append(worker)
            self.condition.notify()

    def discard(self, worker: Worker | None) -> None:
        """Kill a worker that timed out or broke; its slot frees up."""
        if worker is not None:
            worker.kill()
        with self.condition:
            self.workers.discard(worker)
            self.count -= 1
            self.condition.notify()

    def retire(self, kill_busy: bool = False) -> None:
        """Stop reusing this pool: idle workers die now, busy ones when they finish (or now)."""
        with self.condition:
            self.retired = True
            doomed = list(self.workers) if kill_busy else list(self.idle)
            self.count -= len(self.idle)
            self.idle = []
            self.condition.notify_all()
        for worker in doomed:
            worker.kill()
            self.workers.discard(worker)


class LambdaRuntime:
    """Runs deployed functions: `invoke(spec, payload)` → `Invocation`."""

    def __init__(
        self,
        endpoint: str,
        credentials: Callable[[FunctionSpec], dict[str, str]] | None = None,
    ) -> None:
        self.endpoint = endpoint
        # The execution role's session (AWS_ACCESS_KEY_ID/SECRET/SESSION_TOKEN) for a function.
        self.credentials = credentials
        self.concurrency = ConcurrencyLimits()
        self._root = Path(tempfile.mkdtemp(prefix="counterstack-lambda-"))
        self._pools: dict[tuple[str, str], FunctionPool] = {}
        self._lock = threading.Lock()

    def invoke(
        self,
        spec: FunctionSpec,
        payload: bytes,
        reserved_total: int = 0,
        client_context: str | None = None,
    ) -> Invocation:
        """Run one invocation; Throttled at once past the function's or the account's limit.

        `reserved_total` is what all functions of the account reserve (the unreserved pool is
        the quota minus it); `client_context` is the caller's ClientContext JSON, if any.
        """
        if not spec.runtime.startswith("python3"):
            raise UnsupportedRuntime(
                f"runtime {spec.runtime!r} of {spec.function_name} cannot run locally: "
                "only python3.x functions can"
            )
        with self.concurrency.slot(spec.function_arn, spec.reserved_concurrency, reserved_total):
            return self._run(self._pool(spec), spec, payload, client_context)

    def _run(
        self, pool: FunctionPool, spec: FunctionSpec, payload: bytes, client_context: str | None
    ) -> Invocation:
        request_id = str(uuid.uuid4())
        worker = pool.acquire()
        try:
            run = worker.invoke(
                payload, request_id, spec.function_arn, spec.timeout, client_context
            )
        except BaseException:
            pool.discard(worker)
            raise
        outcome = run.outcome
        if outcome is not None and outcome.kind in ("response", "error"):
            pool.release(worker)
        else:  # timed out, exited, or failed its init: this environment is done
            pool.discard(worker)
        body, error_type, status, lines = _answer(run, request_id, spec.timeout)
        report = Report(
            request_id=request_id,
            duration_ms=run.duration_ms,
            memory_size=spec.memory_size,
            max_memory_mb=run.max_memory_mb,
            init_ms=run.init_ms,
            status=status,
            error_type=error_type if status != "success" else None,
        )
        log_format, level = spec.log_format, spec.system_log_level
        log_lines = [
            *run.init_output,
            *function_logs.start_line(log_format, request_id, spec.version, level),
            *run.output,
            *lines,
            *function_logs.end_lines(log_format, report, level),
        ]
        return Invocation(
            payload=body,
            error="Unhandled" if status != "success" else None,
            log_lines=log_lines,
            request_id=request_id,
            duration_ms=run.duration_ms,
            log_stream=worker.log_stream,
            error_type=error_type,
        )

    def _pool(self, spec: FunctionSpec) -> FunctionPool:
        key = (spec.function_arn, spec.version)
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None and pool.spec == spec:
                return pool
            if pool is not None:
                pool.retire()
            try:
                execution_environment.runtime_dir(execution_environment.interpreter(spec.runtime))
            except execution_environment.RuntimeUnavailable as error:
                raise UnsupportedRuntime(str(error)) from error
            code_dir = self._unpack(spec)
            pool = FunctionPool(spec, code_dir, self._environment)
            self._pools[key] = pool
            return pool

    def _unpack(self, spec: FunctionSpec) -> Path:
        code_dir = self._root / f"{spec.function_name}-{spec.version}-{spec.code_sha256[:16]}"
        code_dir = code_dir.with_name(code_dir.name.replace("/", "_").replace("$", ""))
        if not code_dir.is_dir():
            staging = code_dir.with_name(code_dir.name + ".tmp")
            shutil.rmtree(staging, ignore_errors=True)
            with zipfile.ZipFile(BytesIO(spec.code)) as archive:
                archive.extractall(staging)
            staging.replace(code_dir)
        return code_dir

    def _environment(self, spec: FunctionSpec, code_dir: Path) -> dict[str, str]:
        """The process environment of a worker, as Lambda sets it for the function."""
        python = execution_environment.interpreter(spec.runtime)
        stream = time.strftime("%Y/%m/%d") + f"/[{spec.version}]{uuid.uuid4().hex}"
        credentials = ADMIN_CREDENTIALS
        if self.credentials is not None and spec.role_arn:
            credentials = self.credentials(spec)
        lambda_variables = {
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            **credentials,
        }
        if spec.log_format == "JSON":  # what awslambdaric reads to format and filter records
            lambda_variables["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            lambda_variables["AWS_LAMBDA_LOG_LEVEL"] = spec.application_log_level or "INFO"
        return execution_environment.environment(
            python=python,
            runtime_root=execution_environment.runtime_dir(python),
            task_root=code_dir,
            function_variables=dict(spec.environment),
            lambda_variables=lambda_variables,
            endpoint=self.endpoint,
        )

    def reset(self) -> None:
        """Kill every worker, busy or not, and restore the quota: a new account's runtime."""
        self.concurrency.reset()
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.retire(kill_busy=True)

    def worker_count(self) -> int:
        """Live worker processes (tests check warm reuse and clean shutdown)."""
        with self._lock:
            pools = list(self._pools.values())
        return sum(1 for pool in pools for worker in list(pool.workers) if worker.alive())

    def close(self) -> None:
        """Kill every worker and remove the unpacked code: workers die with the account."""
        self.reset()
        shutil.rmtree(self._root, ignore_errors=True)


def _answer(run: Run, request_id: str, timeout: float) -> tuple[bytes, str | None, str, list[str]]:
    """(payload, errorType, REPORT status, Lambda's own log lines) of a finished run."""
    outcome = run.outcome
    if outcome is not None and outcome.kind == "response":
        return outcome.body, None, "success", []
    if outcome is not None:  # the runtime reported the error: its body is Lambda's answer
        error_type = outcome.error_type or _error_type(outcome.body)
        # The telemetry schema's words: a function error is a `failure`, a failed init `error`.
        status = "failure" if outcome.kind == "error" else "error"
        return outcome.body, error_type, status, []
    if run.timed_out:
        message = f"Task timed out after {timeout:.2f} seconds"
        stamp = function_logs.timestamp(time.time())
        body = _error_body("Sandbox.Timedout", f"RequestId: {request_id} Error: {message}")
        return body, "Sandbox.Timedout", "timeout", [f"{stamp} {request_id} {message}"]
    message = f"RequestId: {request_id} Error: Runtime exited with error: {_exit(run.exit_status)}"
    body = _error_body("Runtime.ExitError", message)
    return body, "Runtime.ExitError", "error", [f"{message}\nRuntime.ExitError"]


def _error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def _error_type(body: bytes) -> str | None:
    try:
        return json.loads(body).get("errorType")
    except (ValueError, AttributeError):
        return None


def _exit(status: int | None) -> str:
    """How Lambda words a process's end: `exit status 3`, `signal: killed`."""
    if status is not None and status < 0:
        name = SIGNAL_WORDS.get(-status, signal.Signals(-status).name.lower())
        return f"signal: {name}"
    return f"exit status {status}"
