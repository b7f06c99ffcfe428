"""The Lambda Runtime API of one execution environment, served on loopback for its runtime client.

https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html: the runtime asks for the next
event (`GET /2018-06-01/runtime/invocation/next`, which waits until there is one and carries the
request id, deadline, function ARN, trace id, client context and identity as headers), then
answers it (`POST …/invocation/<id>/response` or `…/error`); a failed initialisation is
`POST …/init/error`. Each execution environment has its own listening port (its
`AWS_LAMBDA_RUNTIME_API`), so an event handed to one is seen by exactly that worker.

The invoking thread itself speaks HTTP on the runtime's connection (one event at a time, as an
environment runs them): no server thread sits between Invoke and the runtime, so an invocation
costs no thread hand-over beyond the runtime's own, and the connection's end tells at once that
the process has gone.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass

PREFIX = "/2018-06-01/runtime"
NEXT = f"{PREFIX}/invocation/next"
ANSWER = re.compile(rf"^{PREFIX}/invocation/(?P<id>[^/]+)/(?P<kind>response|error)$")
INIT_ERROR = f"{PREFIX}/init/error"
ERROR_TYPE_HEADER = "lambda-runtime-function-error-type"
ACCEPT_SLICE_SECONDS = 0.05  # how often a wait for a (re)connection checks for the process's end
LINE_LIMIT = 65536


@dataclass(frozen=True)
class Event:
    """One invocation as the runtime receives it from `next`."""

    request_id: str
    payload: bytes
    deadline_ms: int  # epoch milliseconds, Lambda-Runtime-Deadline-Ms
    function_arn: str
    trace_id: str
    client_context: str | None = None  # JSON, as the Invoke call's X-Amz-Client-Context decodes
    identity: str | None = None  # JSON, a Cognito identity (never set by Invoke here)


@dataclass(frozen=True)
class Outcome:
    """How an invocation (or the init phase) ended: `response`, `error` or `init_error`."""

    kind: str
    body: bytes
    error_type: str | None = None


class RuntimeGone(Exception):
    """The runtime's process ended (its exit status, once known, is in `status`)."""

    def __init__(self, status: int | None) -> None:
        super().__init__(f"runtime exited: {status}")
        self.status = status


class RuntimeApi:
    """The endpoints of one execution environment, driven by the invoking thread."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._connection: socket.socket | None = None
        self._reader = None
        self._waiting_for_event = False  # a `next` was read and waits for its answer
        self._exit_status: int | None = None
        self._exited = threading.Event()

    def wait_ready(self, deadline: float) -> Outcome | None:
        """None once the runtime asks for its first event; its init error if it posts one.
        RuntimeGone if it ends first, TimeoutError past `deadline` (monotonic)."""
        return self._until_next(deadline)

    def invoke(self, event: Event, deadline: float) -> Outcome:
        """Hand `event` to the runtime and return its answer; RuntimeGone or TimeoutError."""
        if not self._waiting_for_event:
            init_error = self._until_next(deadline)
            if init_error is not None:
                return init_error
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": event.request_id,
            "Lambda-Runtime-Deadline-Ms": str(event.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": event.function_arn,
            "Lambda-Runtime-Trace-Id": event.trace_id,
        }
        if event.client_context:
            headers["Lambda-Runtime-Client-Context"] = event.client_context
        if event.identity:
            headers["Lambda-Runtime-Cognito-Identity"] = event.identity
        self._waiting_for_event = False
        self._send(200, headers, event.payload)
        while True:
            method, path, request_headers, body = self._read_request(deadline)
            match = ANSWER.match(path) if method == "POST" else None
            if match is None:
                self._refuse(path)
            elif match["id"] != event.request_id:
                self._send_json(400, {"errorType": "InvalidRequestID", "errorMessage": path})
            else:
                self._send_json(202, {"status": "OK"})
                return Outcome(match["kind"], body, request_headers.get(ERROR_TYPE_HEADER))

    def exited(self, status: int) -> None:
        """The runtime's process ended (its output reader saw end of file)."""
        self._exit_status = status
        self._exited.set()

    def close(self) -> None:
        for closable in (self._reader, self._connection, self._listener):
            with contextlib.suppress(OSError, AttributeError):
                closable.close()

    def _until_next(self, deadline: float) -> Outcome | None:
        while True:
            method, path, headers, body = self._read_request(deadline)
            if method == "GET" and path == NEXT:
                self._waiting_for_event = True
                return None
            if method == "POST" and path == INIT_ERROR:
                self._send_json(202, {"status": "OK"})
                return Outcome("init_error", body, headers.get(ERROR_TYPE_HEADER))
            self._refuse(path)

    def _refuse(self, path: str) -> None:
        self._send_json(404, {"errorType": "InvalidPath", "errorMessage": path})

    def _read_request(self, deadline: float) -> tuple[str, str, dict[str, str], bytes]:
        """The runtime's next request, on its connection (accepting one when there is none)."""
        while True:
            if self._reader is None:
                self._accept(deadline)
            self._connection.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                line = self._reader.readline(LINE_LIMIT)
                if line:
                    return self._rest_of_request(line)
            except TimeoutError:
                raise
            except OSError:
                pass
            self._drop_connection()  # closed by the runtime: it reconnects, or it has ended

    def _rest_of_request(self, line: bytes) -> tuple[str, str, dict[str, str], bytes]:
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := self._reader.readline(LINE_LIMIT)) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("expect", "").lower() == "100-continue":
            self._connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int(self._reader.readline(LINE_LIMIT).split(b";")[0], 16):
                parts.append(self._reader.read(size))
                self._reader.readline(LINE_LIMIT)
            while self._reader.readline(LINE_LIMIT) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return method, path, headers, b"".join(parts)
        return method, path, headers, self._reader.read(int(headers.get("content-length") or 0))

    def _accept(self, deadline: float) -> None:
        """Wait for the runtime to connect, checking in slices that its process still runs."""
        while True:
            if self._exited.is_set():
                raise RuntimeGone(self._exit_status)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self._listener.settimeout(min(ACCEPT_SLICE_SECONDS, remaining))
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._connection, self._reader = connection, connection.makefile("rb")
            return

    def _drop_connection(self) -> None:
        for closable in (self._reader, self._connection):
            with contextlib.suppress(OSError):
                closable.close()
        self._connection = self._reader = None
        self._waiting_for_event = False

    def _send_json(self, status: int, document: dict) -> None:
        body = json.dumps(document).encode()
        self._send(status, {"Content-Type": "application/json"}, body)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        """Headers and body in one send."""
        head = f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        with contextlib.suppress(OSError):  # a runtime that went away is seen on the next read
            self._connection.sendall(head.encode("latin-1") + body)


REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 404: "Not Found"}
