"""Lambda runtime of the local account: the deployed zip runs in warm worker processes.

A cold process per request would cost a boto3 import (hundreds of milliseconds) every time, so
each function version gets a small pool of long-lived workers, like Lambda's execution
environments. A pool is keyed by everything that defines an environment (code hash, handler,
runtime, timeout, memory, environment variables): when any of it changes, the old workers are
retired and the next invocation starts fresh ones, as an update does on Lambda.

Workers run the runtime's interpreter when the machine has it (else the account's own), isolated
from the project's venv, with only the zip and the runtime's libraries importable
(`execution_environment`), Lambda's environment variables, the execution role's session
credentials (`credentials`), and `AWS_ENDPOINT_URL` pointing back at the account so the code's
SDK calls land there. Concurrency is Lambda's (`concurrency`): past a reservation or the
account quota an invocation fails at once. The timeout is enforced by killing the worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import struct
import subprocess
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
from counterstack.local.awslambda import execution_environment
from counterstack.local.awslambda.concurrency import ConcurrencyLimits, Throttled
from counterstack.local.provider import FAKE_ACCESS_KEY, FAKE_SECRET_KEY

__all__ = ["FunctionSpec", "Invocation", "LambdaRuntime", "Throttled", "UnsupportedRuntime"]

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
HEADER = struct.Struct(">I")
INIT_TIMEOUT_SECONDS = 10.0  # Lambda's init phase limit
# Processes per function: a laptop is not Lambda's fleet. Invocations within the function's
# concurrency but past this cap wait for a worker (Lambda would start another environment).
LOCAL_CONCURRENCY_CAP = 4
QUEUE_TIMEOUT_SECONDS = 30.0
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


@dataclass
class Invocation:
    """Result of one invocation: the payload bytes, whether it failed, and what it printed."""

    payload: bytes
    error: str | None  # None, or the X-Amz-Function-Error value ("Unhandled")
    logs: str
    request_id: str
    duration_ms: float
    log_stream: str = ""


class WorkerDied(Exception):
    """The worker exited or broke the protocol."""


class Worker:
    """One warm execution environment: a Python process with the handler imported."""

    def __init__(self, spec: FunctionSpec, code_dir: Path, env: dict[str, str]) -> None:
        self.spec = spec
        self.log_stream = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        python = execution_environment.interpreter(spec.runtime)
        # -I -S: no venv or user site-packages, no PYTHON* variables; -B: no .pyc in the code.
        self.process = subprocess.Popen(
            [python, "-I", "-S", "-B", "-u", str(WORKER_SCRIPT)],
            cwd=code_dir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if os.environ.get("COUNTERSTACK_WORKER_STDERR") else subprocess.DEVNULL,
        )
        self._buffer = b""
        self._ready = False

    def wait_ready(self) -> None:
        if not self._ready:
            self._read(time.monotonic() + INIT_TIMEOUT_SECONDS)
            self._ready = True

    def call(self, payload: bytes, request_id: str, timeout: float) -> dict:
        """Send one event and wait for its reply; TimeoutError past the function timeout."""
        message = json.dumps(
            {
                "requestId": request_id,
                "functionArn": self.spec.function_arn,
                "payload": payload.decode("utf-8", "replace"),
                "deadline": time.time() + timeout,
            }
        ).encode()
        try:
            self.process.stdin.write(HEADER.pack(len(message)) + message)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as error:
            raise WorkerDied(str(error)) from error
        return self._read(time.monotonic() + timeout)

    def _read(self, deadline: float) -> dict:
        header = self._read_exact(HEADER.size, deadline)
        (size,) = HEADER.unpack(header)
        return json.loads(self._read_exact(size, deadline))

    def _read_exact(self, size: int, deadline: float) -> bytes:
        fd = self.process.stdout.fileno()
        # selectors, not select.select: a long-lived account can hold descriptors past 1024.
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while len(self._buffer) < size:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise TimeoutError
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise WorkerDied(f"exit status {self.process.wait()}")
                self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()


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
            worker = Worker(self.spec, self.code_dir, self.make_env(self.spec, self.code_dir))
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

    def invoke(self, spec: FunctionSpec, payload: bytes, reserved_total: int = 0) -> Invocation:
        """Run one invocation; Throttled at once past the function's or the account's limit.

        `reserved_total` is what all functions of the account reserve (the unreserved pool is
        the quota minus it).
        """
        if not spec.runtime.startswith("python3"):
            raise UnsupportedRuntime(
                f"runtime {spec.runtime!r} of {spec.function_name} cannot run locally: "
                "only python3.x functions can"
            )
        with self.concurrency.slot(spec.function_arn, spec.reserved_concurrency, reserved_total):
            return self._run(self._pool(spec), spec, payload)

    def _run(self, pool: FunctionPool, spec: FunctionSpec, payload: bytes) -> Invocation:
        request_id = str(uuid.uuid4())
        worker = pool.acquire()
        started = time.monotonic()
        try:
            worker.wait_ready()
            reply = worker.call(payload, request_id, spec.timeout)
        except TimeoutError:
            pool.discard(worker)
            return self._failure(
                worker,
                request_id,
                "Sandbox.Timedout",
                f"RequestId: {request_id} Error: Task timed out after {spec.timeout:.2f} seconds",
                time.monotonic() - started,
            )
        except (WorkerDied, OSError, ValueError) as error:
            pool.discard(worker)
            return self._failure(
                worker,
                request_id,
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited with error: {error}",
                time.monotonic() - started,
            )
        except BaseException:
            pool.discard(worker)
            raise
        pool.release(worker)
        elapsed_ms = (time.monotonic() - started) * 1000
        logs = reply.get("logs", "")
        if reply["ok"]:
            payload_out, error = reply["payload"].encode(), None
        else:
            payload_out, error = json.dumps(reply["payload"]).encode(), "Unhandled"
        return Invocation(payload_out, error, logs, request_id, elapsed_ms, worker.log_stream)

    @staticmethod
    def _failure(
        worker: Worker, request_id: str, error_type: str, message: str, elapsed: float
    ) -> Invocation:
        body = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
        return Invocation(
            body, "Unhandled", message + "\n", request_id, elapsed * 1000, worker.log_stream
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
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            **credentials,
        }
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
