"""Test-only fault injection: the local account answers chosen AWS API calls with an AWS error.

Failures a real account produces now and then (DynamoDB throttling or a 503, an API Gateway
conflict during a delete) cannot be provoked on demand in AWS. The local account can: a test
registers a fault rule, and while the rule is active the Dispatcher answers every matching AWS
API request itself, with the error AWS would send, instead of forwarding it to moto. Nothing
happens to the state: a faulted `UpdateItem` increments nothing, a faulted `DeleteApi` deletes
nothing. The facility exists only in the local account; there is no such thing on AWS.

Control plane (same port as the account, plain JSON over HTTP, no signature):

    POST   /_counterstack/faults        add a rule          -> 201 {rule}
    GET    /_counterstack/faults        every rule          -> 200 {"faults": [rule, ...]}
    DELETE /_counterstack/faults        remove every rule   -> 200 {"faults": [removed rule, ...]}
    DELETE /_counterstack/faults/<id>   remove one rule     -> 200 {rule} | 404

A rule, as POSTed:

    {
      "service": "dynamodb",          required: the SigV4 signing service of the request
                                      (credential scope): dynamodb, lambda, iam, logs, sts, kms,
                                      s3, apigateway; "apigatewayv2" is accepted for apigateway
                                      (API Gateway v2 signs as apigateway)
      "operation": "UpdateItem",      optional: X-Amz-Target operation (JSON protocols: DynamoDB,
                                      Logs, KMS) or the Action parameter (query protocols: IAM, STS)
      "method": "DELETE",             optional: HTTP method (REST protocols: Lambda, API Gateway v2)
      "path": "/v2/apis/[^/]+",       optional: regular expression the whole request path must match
      "status": 503,                  required: HTTP status, 400-599
      "code": "ServiceUnavailable",   required: the AWS error code SDKs parse and dispatch on
      "message": "...",               optional: the error message (a default names the fault)
      "count": 2                      optional: answer this many matching requests, then pass
                                      through again; null (the default) until removed
    }

The answer to a rule carries the rule and its counters: `id`, `remaining` (null = unlimited),
`hits` (how many requests it answered) and `hit_times` (when, epoch seconds) — the evidence a
test reports, e.g. the backoff an SDK waited between two faulted attempts.

Error bodies follow each protocol, so SDKs (botocore, the Go SDK in Terraform's provider) parse
the code exactly as from AWS: JSON protocols `{"__type": "<ns>#<code>", "message": ...}` with the
request's `application/x-amz-json-1.x` content type; REST-JSON (Lambda, API Gateway) `{"message":
...}` plus the `x-amzn-errortype` header; query protocols (IAM, STS) `<ErrorResponse>` XML; S3
`<Error>` XML. Requests that are not SigV4-signed (execute-api traffic, this control plane) never
match a rule.

Rules match in the order they were added; the first active one wins and uses up one of its count.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import requests

from counterstack.local.transport.wsgi import credential_scope, read_body

FAULTS_PATH = "/_counterstack/faults"
SERVICE_ALIASES = {"apigatewayv2": "apigateway"}
QUERY_SERVICES = frozenset({"iam", "sts"})
RULE_FIELDS = frozenset(
    {"service", "operation", "method", "path", "status", "code", "message", "count"}
)


class FaultSpecError(ValueError):
    """A POSTed rule is malformed (answered 400)."""


@dataclass
class Fault:
    id: str
    service: str
    status: int
    code: str
    message: str
    operation: str | None = None
    method: str | None = None
    path: str | None = None
    remaining: int | None = None  # None: until removed
    hits: int = 0
    hit_times: list[float] = field(default_factory=list)  # epoch seconds of each answer
    _path_pattern: re.Pattern | None = field(default=None, repr=False)

    @classmethod
    def from_spec(cls, spec: Any, fault_id: str) -> Fault:
        if not isinstance(spec, dict):
            raise FaultSpecError("a fault is a JSON object")
        unknown = set(spec) - RULE_FIELDS
        if unknown:
            raise FaultSpecError(f"unknown field(s): {', '.join(sorted(unknown))}")
        service = spec.get("service")
        if not isinstance(service, str) or not service:
            raise FaultSpecError("service is required: the SigV4 signing service, e.g. dynamodb")
        status = spec.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise FaultSpecError("status must be an HTTP error status from 400 to 599")
        code = spec.get("code")
        if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9.]*", code):
            raise FaultSpecError("code must be an AWS error code such as ThrottlingException")
        count = spec.get("count")
        if count is not None and (
            not isinstance(count, int) or isinstance(count, bool) or count < 1
        ):
            raise FaultSpecError("count must be a whole number >= 1, or null for no limit")
        for name in ("operation", "method", "path", "message"):
            value = spec.get(name)
            if value is not None and (not isinstance(value, str) or not value):
                raise FaultSpecError(f"{name} must be a non-empty string when given")
        pattern = None
        if spec.get("path") is not None:
            try:
                pattern = re.compile(spec["path"])
            except re.error as error:
                raise FaultSpecError(f"path is not a regular expression: {error}") from error
        service = SERVICE_ALIASES.get(service.lower(), service.lower())
        return cls(
            id=fault_id,
            service=service,
            status=status,
            code=code,
            message=spec.get("message") or f"{code} injected by the local account's fault rule",
            operation=spec.get("operation"),
            method=spec["method"].upper() if spec.get("method") else None,
            path=spec.get("path"),
            remaining=count,
            _path_pattern=pattern,
        )

    @property
    def active(self) -> bool:
        return self.remaining is None or self.remaining > 0

    def matches(self, request: _Request) -> bool:
        if request.service != self.service:
            return False
        if self.operation is not None and request.operation != self.operation:
            return False
        if self.method is not None and request.method != self.method:
            return False
        return self._path_pattern is None or bool(self._path_pattern.fullmatch(request.path))

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "remaining": self.remaining,
            "hits": self.hits,
            "hit_times": list(self.hit_times),
        }


@dataclass(frozen=True)
class _Request:
    service: str
    operation: str | None
    method: str
    path: str
    target: str  # X-Amz-Target, "" for other protocols
    content_type: str


class FaultInjector:
    """The rules of one account; `intercept` is the Dispatcher's hook (thread-safe)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    # -- rules --------------------------------------------------------------------------------
    def add(self, spec: Any) -> Fault:
        with self._lock:
            fault = Fault.from_spec(spec, f"fault-{next(self._ids)}")
            self._faults.append(fault)
            return fault

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def remove(self, fault_id: str) -> dict[str, Any] | None:
        with self._lock:
            for fault in self._faults:
                if fault.id == fault_id:
                    self._faults.remove(fault)
                    return fault.describe()
        return None

    def clear(self) -> list[dict[str, Any]]:
        with self._lock:
            removed, self._faults = self._faults, []
        return [fault.describe() for fault in removed]

    # -- the Dispatcher's hook ----------------------------------------------------------------
    def intercept(self, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
        """The error answer for a request an active rule matches, else None (forward it)."""
        if not self._faults:  # the common case costs one attribute read
            return None
        scope = credential_scope(environ)
        if scope is None:
            return None
        request = _describe_request(environ, scope.service.lower())
        with self._lock:
            for fault in self._faults:
                if fault.active and fault.matches(request):
                    fault.hits += 1
                    fault.hit_times.append(round(time.time(), 3))
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return _error_response(fault, request)
        return None

    # -- the control plane --------------------------------------------------------------------
    def handle_control(
        self, method: str, path: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer a request to FAULTS_PATH or FAULTS_PATH/<id>."""
        fault_id = path[len(FAULTS_PATH) :].strip("/")
        if method == "GET" and not fault_id:
            return _json(200, {"faults": self.list()})
        if method == "POST" and not fault_id:
            try:
                spec = json.loads(body or b"null")
                return _json(201, self.add(spec).describe())
            except (ValueError, FaultSpecError) as error:
                return _json(400, {"message": str(error)})
        if method == "DELETE" and not fault_id:
            return _json(200, {"faults": self.clear()})
        if method == "DELETE":
            removed = self.remove(fault_id)
            if removed is None:
                return _json(404, {"message": f"no fault {fault_id}"})
            return _json(200, removed)
        return _json(405, {"message": f"{method} is not allowed here"})


def _describe_request(environ: dict[str, Any], service: str) -> _Request:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    content_type = environ.get("CONTENT_TYPE", "")
    operation = target.rsplit(".", 1)[-1] if target else None
    if operation is None and service in QUERY_SERVICES:
        operation = _query_action(environ)
    return _Request(
        service=SERVICE_ALIASES.get(service, service),
        operation=operation,
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=environ.get("PATH_INFO", ""),
        target=target,
        content_type=content_type,
    )


def _query_action(environ: dict[str, Any]) -> str | None:
    """`Action` of a query-protocol call: in the query string, or in the form body (put back)."""
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action:
        return action[0]
    action = parse_qs(read_body(environ).decode("utf-8", "replace")).get("Action")
    return action[0] if action else None


def _error_response(fault: Fault, request: _Request) -> tuple[int, dict[str, str], bytes]:
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-requestid": request_id, "x-amzn-errortype": fault.code}
    if request.target:  # awsJson 1.0 / 1.1 (DynamoDB, Logs, KMS)
        namespace = (
            "com.amazonaws.dynamodb.v20120810"
            if fault.service == "dynamodb"
            else (f"com.amazonaws.{fault.service}")
        )
        headers["content-type"] = request.content_type or "application/x-amz-json-1.0"
        body = json.dumps({"__type": f"{namespace}#{fault.code}", "message": fault.message})
        return fault.status, headers, body.encode()
    kind = "Sender" if fault.status < 500 else "Receiver"
    if fault.service in QUERY_SERVICES:
        headers["content-type"] = "text/xml"
        body = (
            "<ErrorResponse><Error>"
            f"<Type>{kind}</Type><Code>{escape(fault.code)}</Code>"
            f"<Message>{escape(fault.message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return fault.status, headers, body.encode()
    if fault.service == "s3":
        headers = {"content-type": "application/xml", "x-amz-request-id": request_id}
        body = (
            f"<Error><Code>{escape(fault.code)}</Code><Message>{escape(fault.message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        return fault.status, headers, body.encode()
    headers["content-type"] = "application/json"  # REST-JSON (Lambda, API Gateway)
    return fault.status, headers, json.dumps({"message": fault.message}).encode()


def _json(status: int, document: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(document).encode()


# -- client side: what tests call (the account may run in another process) ----------------------
def inject_fault(endpoint: str, **rule: Any) -> dict[str, Any]:
    """POST a rule to the account at `endpoint`; returns it with its `id`."""
    response = requests.post(endpoint + FAULTS_PATH, json=rule, timeout=10)
    if response.status_code != 201:
        raise FaultSpecError(f"the account refused the fault: {response.text}")
    return response.json()


def list_faults(endpoint: str) -> list[dict[str, Any]]:
    response = requests.get(endpoint + FAULTS_PATH, timeout=10)
    response.raise_for_status()
    return response.json()["faults"]


def remove_fault(endpoint: str, fault_id: str) -> dict[str, Any]:
    """Remove one rule; returns its final counters (`hits`, `remaining`)."""
    response = requests.delete(f"{endpoint}{FAULTS_PATH}/{fault_id}", timeout=10)
    response.raise_for_status()
    return response.json()


def clear_faults(endpoint: str) -> list[dict[str, Any]]:
    """Remove every rule; returns them with their final counters."""
    response = requests.delete(endpoint + FAULTS_PATH, timeout=10)
    response.raise_for_status()
    return response.json()["faults"]


@contextmanager
def injected_fault(endpoint: str, **rule: Any) -> Iterator[dict[str, Any]]:
    """Inject a rule for the `with` block; the yielded dict gets the final `hits`/`remaining`."""
    fault = inject_fault(endpoint, **rule)
    try:
        yield fault
    finally:
        fault.update(remove_fault(endpoint, fault["id"]))
