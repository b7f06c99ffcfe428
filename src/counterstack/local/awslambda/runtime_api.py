"""The Lambda Runtime API of one execution environment, served on loopback for its runtime client.

https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html: the runtime asks for the next
event (`GET /2018-06-01/runtime/invocation/next`, which waits until there is one and carries the
request id, deadline, function ARN, trace id, client context and identity as headers), then
answers it (`POST …/invocation/<id>/response` or `…/error`); a failed initialisation is
`POST …/init/error`. Each execution environment has its own server (its own port in
`AWS_LAMBDA_RUNTIME_API`), so an event handed to one is seen by exactly that worker.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
NEXT = re.compile(rf"^{PREFIX}/invocation/next$")
ANSWER = re.compile(rf"^{PREFIX}/invocation/(?P<id>[^/]+)/(?P<kind>response|error)$")
INIT_ERROR = f"{PREFIX}/init/error"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


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


class RuntimeApi:
    """The endpoints of one execution environment and the hand-over between them and Invoke."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._polling = False  # the runtime waits in `next`: its init is done
        self._pending: Event | None = None
        self._current: str | None = None  # request id handed out and not answered yet
        self._outcome: Outcome | None = None
        self._exit_status: int | None = None
        self._closed = False
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 1.0},  # how soon a shut-down server's loop notices
            name="counterstack-runtime-api",
            daemon=True,
        ).start()

    # The Invoke side.

    def wait_ready(self, timeout: float) -> Outcome | int | None:
        """None once the runtime polls for its first event; else its init error, its exit
        status, or TimeoutError past `timeout`."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                if self._outcome is not None and self._outcome.kind == "init_error":
                    return self._outcome
                if self._exit_status is not None:
                    return self._exit_status
                if self._polling:
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                self._condition.wait(remaining)

    def deliver(self, event: Event) -> None:
        with self._condition:
            self._outcome = None
            self._pending = event
            self._condition.notify_all()

    def wait_outcome(self, deadline: float) -> Outcome | int:
        """The runtime's answer to the delivered event, or its exit status if it died first;
        TimeoutError past `deadline` (monotonic)."""
        with self._condition:
            while self._outcome is None and self._exit_status is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                self._condition.wait(remaining)
            return self._outcome if self._outcome is not None else self._exit_status

    def exited(self, status: int) -> None:
        """The runtime's process ended (its output reader saw end of file)."""
        with self._condition:
            self._exit_status = status
            self._condition.notify_all()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        # shutdown() waits for the serving loop's next poll: off the caller's thread.
        threading.Thread(target=self._stop_server, name="counterstack-runtime-api-stop").start()

    def _stop_server(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # The runtime side (called from the server's request threads).

    def _next(self) -> Event | None:
        with self._condition:
            self._polling = True
            self._condition.notify_all()
            while self._pending is None and not self._closed:
                self._condition.wait()
            event, self._pending = self._pending, None
            self._current = event.request_id if event else None
            return event

    def _answer(self, request_id: str | None, outcome: Outcome) -> bool:
        with self._condition:
            if request_id is not None and request_id != self._current:
                return False
            self._current = None
            self._outcome = outcome
            self._condition.notify_all()
            return True


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a runtime killed mid-request (timeout, exit) resets its connection: expected


def _handler_for(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the runtime client keeps its connection open
        disable_nagle_algorithm = True  # headers and body leave as two writes: never hold one

        def do_GET(self) -> None:
            if not NEXT.match(self.path):
                return self._send(404, {"errorType": "InvalidPath", "errorMessage": self.path})
            event = api._next()
            if event is None:  # the environment is shutting down
                self.close_connection = True
                return self._send(410, {"errorType": "Shutdown", "errorMessage": "shut down"})
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
            self._send_raw(200, headers, event.payload)

        def do_POST(self) -> None:
            body = self._body()
            error_type = self.headers.get(ERROR_TYPE_HEADER)
            if self.path == INIT_ERROR:
                api._answer(None, Outcome("init_error", body, error_type))
                return self._send(202, {"status": "OK"})
            match = ANSWER.match(self.path)
            if match is None:
                return self._send(404, {"errorType": "InvalidPath", "errorMessage": self.path})
            outcome = Outcome(match["kind"], body, error_type)
            if not api._answer(match["id"], outcome):
                return self._send(
                    400, {"errorType": "InvalidRequestID", "errorMessage": "Invalid request ID"}
                )
            self._send(202, {"status": "OK"})

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                parts = []
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _send(self, status: int, document: dict) -> None:
            self._send_raw(status, {"Content-Type": "application/json"}, json.dumps(document))

        def _send_raw(self, status: int, headers: dict[str, str], body: bytes | str) -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response_only(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the runtime's requests are not the account's access log

    return Handler
