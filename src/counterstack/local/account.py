"""The offline ephemeral AWS account: one process, every piece the stack needs, started and stopped.

`LocalAccount` binds two loopback ports and serves the same WSGI application (`dispatch`) on both
with waitress (`transport.server`): the public one (default 4566) for SDKs, Terraform, the
gateway and the control endpoints, and a second one, chosen at start, for the AWS calls the
functions themselves make, so a gateway request waiting for a busy function never holds the
thread that function's own call needs.

moto keeps its state in module-level backends, so one process holds one account: starting a
second `LocalAccount` while one runs raises.
"""

from __future__ import annotations

import errno
import socket
import threading
import time

import requests

from counterstack.errors import CounterStackError
from counterstack.local import patches
from counterstack.local.apigateway.gateway import Gateway
from counterstack.local.awslambda.invoke import LambdaService
from counterstack.local.awslambda.runtime import LambdaRuntime
from counterstack.local.client import DEFAULT_PORT, HEALTH_PATH, AccountClient
from counterstack.local.cloudwatch.alarm_clock import AlarmClock
from counterstack.local.dispatch import Dispatcher
from counterstack.local.testing.fault_injection import FaultInjector
from counterstack.local.transport.server import WsgiServer
from counterstack.local.transport.wsgi import DEFAULT_REGION

# Requests served at once on the public port (Terraform's provider runs 10 operations at a time,
# the load tests 50 clients; the rest queue) and on the functions' own port.
PUBLIC_THREADS = 32
FUNCTION_THREADS = 16

_running: LocalAccount | None = None
_running_lock = threading.Lock()


class LocalAccount(AccountClient):
    """An offline AWS account on `http://host:port` (port 0 picks a free one).

    Use as a context manager, or `start()` / `stop()`. `endpoint` is what SDKs and Terraform's
    provider point at; `execute_api_url(api_id, stage, path)` and `local_url(invoke_url)` give
    data-plane URLs.
    """

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        region: str = DEFAULT_REGION,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.verbose = verbose  # one stderr line per request (method, path, status, duration)
        self.region = region
        self._requested_port = port
        self._port: int | None = None
        self._servers: list[WsgiServer] = []
        self.dispatcher: Dispatcher | None = None  # the WSGI app both ports serve
        self.runtime: LambdaRuntime | None = None
        self.lambdas: LambdaService | None = None
        self.gateway: Gateway | None = None
        self.alarm_clock: AlarmClock | None = None  # evaluates CloudWatch alarms while serving
        # Test-only error answers (counterstack.local.testing.fault_injection).
        self.faults = FaultInjector()

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise CounterStackError("the local account is not running: call start() first")
        return self._port

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return bool(self._servers) and all(server.running for server in self._servers)

    def start(self) -> LocalAccount:
        """Bind the port, serve in a background thread, return once the account answers."""
        global _running
        with _running_lock:
            sock = self._bind()
            if _running is not None:
                sock.close()
                raise CounterStackError(
                    f"a local account already runs in this process at {_running.endpoint}: "
                    "moto keeps one account per process, reuse it"
                )
            self._port = sock.getsockname()[1]
            try:
                function_sock = self._bind(port=0)
            except BaseException:
                sock.close()
                raise
            function_endpoint = f"http://{self.host}:{function_sock.getsockname()[1]}"
            patches.install()
            self.runtime = LambdaRuntime(function_endpoint)
            self.lambdas = LambdaService(self.runtime)
            self.gateway = Gateway(self.lambdas)
            dispatcher = self.dispatcher = Dispatcher(self)
            self._servers = [
                WsgiServer(dispatcher, sock, PUBLIC_THREADS, f"counterstack-account-{self._port}"),
                WsgiServer(dispatcher, function_sock, FUNCTION_THREADS, "counterstack-functions"),
            ]
            for server in self._servers:
                server.start()
            self.alarm_clock = AlarmClock()
            self.alarm_clock.start()
            threading.Thread(
                target=dispatcher.prewarm, name="counterstack-prewarm", daemon=True
            ).start()
            _running = self
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _bind(self, port: int | None = None) -> socket.socket:
        port = self._requested_port if port is None else port
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, port))
            sock.listen(1024)
        except OSError as error:
            sock.close()
            if error.errno == errno.EADDRINUSE:
                raise CounterStackError(
                    f"port {port} is in use: stop the other process or pass --port"
                ) from error
            raise CounterStackError(
                f"cannot listen on {self.host}:{port}: {error.strerror}"
            ) from error
        return sock

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Poll the health endpoint until it answers (the readiness check)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(self.endpoint + HEALTH_PATH, timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise CounterStackError(f"the local account at {self.endpoint} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop serving and kill every Lambda worker. Safe to call twice."""
        global _running
        servers, self._servers = self._servers, []
        for server in servers:
            server.stop_accepting()
        if self.alarm_clock is not None:
            self.alarm_clock.stop()
        if self.runtime is not None:
            self.runtime.close()  # requests still waiting on a function end now
        for server in servers:
            server.stop()
        with _running_lock:
            if _running is self:
                _running = None

    def __enter__(self) -> LocalAccount:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- test helpers ----------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every resource, fault rule and worker: a brand-new account on the same port."""
        from moto.core.base_backend import BackendDict

        self.faults.clear()
        BackendDict.reset()
        if self.runtime is not None:
            self.runtime.reset()
        if self.gateway is not None:
            self.gateway.throttler.reset()
        if self.alarm_clock is not None:
            self.alarm_clock.reset()

    def worker_count(self) -> int:
        """Live Lambda worker processes."""
        return self.runtime.worker_count() if self.runtime is not None else 0
