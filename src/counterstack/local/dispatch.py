"""The account's WSGI application: which part of the account answers each request.

In order: execute-api requests go to the gateway; the fault-rule control plane and requests a
test's fault rule matches get the rule's answer (`testing.fault_injection`, test-only); the
Lambda quota control endpoint; calls signed with a function's role session are checked against
its role (`iam.enforcement`); PutFunctionConcurrency and GetAccountSettings are answered with the
account's quota (`awslambda.account_settings`); `lambda:Invoke` runs on the local runtime
(`awslambda.invoke`); the health and reset endpoints; everything else (STS, IAM, DynamoDB,
Lambda's control plane, API Gateway v2, CloudWatch Logs, KMS, S3, CloudWatch, SNS, SQS) is moto,
untouched but for `patches/`; `cloudwatch.alarm_clock` evaluates its alarms.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from moto.backends import get_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from counterstack.local import cloudwatch_logs
from counterstack.local.apigateway import urls
from counterstack.local.apigateway.payload import HttpRequest, HttpResponse
from counterstack.local.awslambda import account_settings
from counterstack.local.awslambda.invoke import INVOKE_PATH
from counterstack.local.client import ACCOUNT_ID, HEALTH_PATH, RESET_PATH
from counterstack.local.cloudwatch.alarm_clock import alarm_states
from counterstack.local.iam import enforcement as iam_enforcement
from counterstack.local.testing.fault_injection import FAULTS_PATH
from counterstack.local.transport.retried_attempts import RetriedAttempts
from counterstack.local.transport.wsgi import credential_scope, read_body, signing_region

if TYPE_CHECKING:
    from counterstack.local.account import LocalAccount

# SigV4 signing service -> moto backend app serving it (the services the stack uses).
FAST_BACKENDS = {
    "apigateway": "apigateway",  # API Gateway v1 and v2 share moto's apigateway app
    "dynamodb": "dynamodb",
    "iam": "iam",
    "kms": "kms",
    "lambda": "awslambda",
    "logs": "logs",
    "monitoring": "cloudwatch",  # CloudWatch signs as monitoring
    "sns": "sns",
    "sqs": "sqs",
    "sts": "sts",
}
MODEL_BACKENDS = (
    "sts", "iam", "dynamodb", "lambda", "apigatewayv2", "logs", "kms", "s3", "cloudwatch", "sns",
    "sqs",
)  # fmt: skip
GLOBAL_SERVICES = ("iam", "s3")
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


class Dispatcher:
    """WSGI application: gateway, account endpoints, fault rules, Lambda Invoke, then moto."""

    def __init__(self, account: LocalAccount) -> None:
        self.account = account
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.retries = RetriedAttempts()  # see counterstack.local.transport.retried_attempts

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
                get_backend(service)[ACCOUNT_ID][region]

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
        scope = credential_scope(environ)
        if scope is None:
            return None
        service = scope.service
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
        limits = self.account.runtime.concurrency
        if path == account_settings.QUOTA_PATH:
            answer = account_settings.quota_control(limits, method, read_body(environ))
            return self._respond(start_response, *answer)
        # What the account refuses or answers itself before moto: role-session IAM, Lambda quotas.
        answer = iam_enforcement.check(environ) or account_settings.intercept(limits, environ)
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
                    "alarms": alarm_states(),
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
            with cloudwatch_logs.LOCK:
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
            ACCOUNT_ID,
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
