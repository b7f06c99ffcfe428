"""The offline ephemeral AWS account: one process, one port, every piece the stack needs.

A WSGI dispatcher sits in front of moto's own server application: execute-api requests go to the
gateway, AWS API calls matching a test's fault rule get the rule's error (`faults`, test-only),
`lambda:Invoke` goes to the local runtime, everything else (STS, IAM, DynamoDB, Lambda's
control plane, API Gateway v2, CloudWatch Logs, S3 for Terraform state) is moto, untouched but for
the patches in `local/patches`. waitress serves it from a background thread (`server`), on
two ports: the public one, and one of its own for the calls the functions make, so a gateway
request waiting for a busy function never holds the thread that function's own call needs.

moto keeps its state in module-level backends, so one process holds one account: starting a
second `LocalAccount` while one runs raises.
"""

from __future__ import annotations

import contextlib
import errno
import json
import re
import socket
import sys
import threading
import time
from typing import Any
from urllib.parse import unquote

import requests
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from counterstack.errors import CounterStackError
from counterstack.local import enforcement, locks, patches, urls
from counterstack.local.client import HEALTH_PATH, RESET_PATH, AccountClient
from counterstack.local.faults import FAULTS_PATH, FaultInjector
from counterstack.local.gateway import Gateway
from counterstack.local.lambda_api import LambdaService
from counterstack.local.payload import HttpRequest, HttpResponse
from counterstack.local.retries import RetriedAttempts
from counterstack.local.runtime import LambdaRuntime
from counterstack.local.server import WsgiServer
from counterstack.local.wsgi import DEFAULT_REGION, read_body, signing_region

DEFAULT_PORT = 4566
# Requests served at once on the public port (Terraform's provider runs 10 operations at a time,
# the load tests 50 clients; the rest queue) and on the functions' own port.
PUBLIC_THREADS = 32
FUNCTION_THREADS = 16
# SigV4 signing service -> moto backend app serving it (the services the stack uses).
FAST_BACKENDS = {
    "apigateway": "apigateway",  # API Gateway v1 and v2 share moto's apigateway app
    "dynamodb": "dynamodb",
    "iam": "iam",
    "kms": "kms",
    "lambda": "awslambda",
    "logs": "logs",
    "sts": "sts",
}
MODEL_BACKENDS = ("sts", "iam", "dynamodb", "lambda", "apigatewayv2", "logs", "kms", "s3")
GLOBAL_SERVICES = ("iam", "s3")
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations/?$")
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/(?P<service>[^/]+)/aws4_request")
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

_running: LocalAccount | None = None
_running_lock = threading.Lock()


class Dispatcher:
    """WSGI application: gateway, account endpoints, fault rules, Lambda Invoke, then moto."""

    def __init__(self, account: LocalAccount) -> None:
        self.account = account
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.retries = RetriedAttempts()  # see counterstack.local.retries

    def prewarm(self) -> None:
        """Build moto's per-service apps and backends now, not on Terraform's first call.

        moto imports a service and compiles its URL map on first use (0.3-0.5 s each on a
        small machine); done in the background at start, that time leaves apply's critical path.
        """
        for backend in set(FAST_BACKENDS.values()) | {"s3"}:
            self._app(backend)
        for service in MODEL_BACKENDS:
            region = "aws" if service in GLOBAL_SERVICES else self.account.region
            with contextlib.suppress(Exception):
                get_backend(service)[DEFAULT_ACCOUNT_ID][region]

    def _app(self, backend: str) -> Any:
        app = self.moto.app_instances.get(backend)
        if app is None:
            with self.moto.lock:
                app = self.moto.app_instances.get(backend)
                if app is None:
                    app = self.moto.app_instances[backend] = create_backend_app(backend)
        return app

    def _fast_backend(self, environ: dict[str, Any]) -> str | None:
        """The moto app of a SigV4 request whose signing service names exactly one backend.

        moto's own host inference lists its package directory several times per request under
        a global lock (milliseconds each); for the services the stack uses, the credential
        scope already says which app serves the request.
        """
        match = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match is None:
            return None
        service = match["service"]
        if service == "dynamodb" and not environ.get("HTTP_X_AMZ_TARGET", "").startswith(
            "DynamoDB_20120810."
        ):
            return None  # DynamoDB Streams and the 2011 API go through moto's inference
        return FAST_BACKENDS.get(service)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        start_response = self.retries.track(environ, start_response)
        if not self.account.verbose:
            return self.dispatch(environ, start_response)
        started = time.monotonic()
        status: list[str] = []

        def recording_start_response(code: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(code.split(" ", 1)[0])
            return (
                start_response(code, headers, exc_info)
                if exc_info
                else start_response(code, headers)
            )

        result = self.dispatch(environ, recording_start_response)
        operation = environ.get("HTTP_X_AMZ_TARGET") or environ.get("QUERY_STRING", "")[:60]
        print(
            f"{time.strftime('%H:%M:%S')} {(time.monotonic() - started) * 1000:7.1f}ms "
            f"{status[0] if status else '-'} {environ.get('REQUEST_METHOD')} "
            f"{environ.get('PATH_INFO')} {operation}",
            file=sys.stderr,
            flush=True,
        )
        return result

    def dispatch(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Route one request to the gateway, the runtime, the account endpoints or moto."""
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        host = environ.get("HTTP_HOST", "")

        target = urls.execute_api_target(host, path)
        if target is not None:
            api_id, api_path = target
            return self._respond(start_response, *self._gateway(environ, api_id, api_path))

        if path == FAULTS_PATH or path.startswith(FAULTS_PATH + "/"):
            return self._respond(
                start_response,
                *self.account.faults.handle_control(method, path, read_body(environ)),
            )
        fault = self.account.faults.intercept(environ)
        if fault is not None:
            return self._respond(start_response, *fault)
        answer = enforcement.intercept(self.account, environ)  # role-session IAM, Lambda quotas
        if answer is not None:
            return self._respond(start_response, *answer)

        if method == "POST" and (match := INVOKE_PATH.match(path)):
            answer = self._invoke(environ, unquote(match["function"]))
            if answer is not None:
                return self._respond(start_response, *answer)

        if path == HEALTH_PATH:
            body = json.dumps(
                {
                    "status": "running",
                    "endpoint": self.account.endpoint,
                    "workers": self.account.worker_count(),
                    **self.retries.summary(),
                }
            )
            return self._respond(
                start_response, 200, {"content-type": "application/json"}, body.encode()
            )
        if path == RESET_PATH and method == "POST":
            self.account.reset()
            return self._respond(start_response, 204, {}, b"")

        backend = self._fast_backend(environ)
        app = self._app(backend) if backend else self.moto
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("Logs_"):
            with locks.LOGS:
                return list(app(environ, start_response))
        return app(environ, start_response)

    def _invoke(self, environ: dict[str, Any], function: str) -> tuple | None:
        query = dict(
            part.split("=", 1) for part in environ.get("QUERY_STRING", "").split("&") if "=" in part
        )
        body = read_body(environ)
        return self.account.lambdas.handle_invoke(
            function,
            unquote(query["Qualifier"]) if "Qualifier" in query else None,
            _headers(environ),
            body,
            signing_region(environ),
            DEFAULT_ACCOUNT_ID,
        )

    def _gateway(self, environ: dict[str, Any], api_id: str, path: str) -> tuple:
        headers = _headers(environ)
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or path
        raw_path, _, raw_query = raw_uri.partition("?")
        raw_path = urls.strip_api_prefix(raw_path, api_id)
        forwarded_port = environ.get("SERVER_PORT", "")
        headers.setdefault("x-forwarded-for", environ.get("REMOTE_ADDR", "127.0.0.1"))
        headers.setdefault("x-forwarded-port", forwarded_port)
        headers.setdefault("x-forwarded-proto", environ.get("wsgi.url_scheme", "http"))
        request = HttpRequest(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            raw_path=raw_path,
            raw_query=raw_query,
            headers=headers,
            body=read_body(environ),
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            domain_name=urls.domain_name(api_id, self.account.port),
            protocol=environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        )
        try:
            response = self.account.gateway.handle(api_id, request, path)
        except Exception:  # never a traceback to an HTTP client
            response = HttpResponse.message(500, "Internal Server Error")
        headers_out = dict(response.headers)
        headers_out.setdefault("apigw-requestid", f"{int(time.time() * 1000):x}")
        extra = [("set-cookie", cookie) for cookie in response.cookies]
        return response.status, headers_out, response.body, extra

    @staticmethod
    def _respond(
        start_response: Any,
        status: int,
        headers: dict[str, str],
        body: bytes,
        extra: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        pairs = [
            (name, value) for name, value in headers.items() if name.lower() != "content-length"
        ]
        pairs += extra or []
        pairs.append(("content-length", str(len(body))))
        start_response(f"{status} {STATUS_TEXT.get(status, 'Status')}", pairs)
        return [body]


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    return headers


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
        self.faults = FaultInjector()  # test-only error answers, see counterstack.local.faults

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

    def worker_count(self) -> int:
        """Live Lambda worker processes."""
        return self.runtime.worker_count() if self.runtime is not None else 0
