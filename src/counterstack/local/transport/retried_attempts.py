"""Counts the SDK attempts that retry an operation this account did not fail.

AWS SDKs number every attempt of one operation (`amz-sdk-request: attempt=N`) under one
`amz-sdk-invocation-id`. Attempt 2+ after an error answer (a 5xx, a throttle, an injected
fault) is the SDK doing its job. Attempt 2+ after a 2xx answer, or of an operation whose
earlier attempt never reached the account, means an answer was lost on the way: the transport's
bug, which `/_counterstack/health` reports as `retried_attempts` (0 on a healthy run), with the
latest few by invocation id: the key to find the exchange in a provider log or a packet capture.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from typing import Any

from counterstack.local.transport.wsgi import credential_scope

ATTEMPT = re.compile(r"attempt=(\d+)")
MAX_OPERATIONS = 4096  # invocation ids remembered; a retry follows its attempt within seconds
RECENT_LOST = 10  # lost-answer retries listed one by one on health


class RetriedAttempts:
    """WSGI middleware state: the last status per invocation id and the counts of retries."""

    def __init__(self) -> None:
        self._last_status: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self.lost = Counter[str]()  # by operation: retried although no error was answered
        self.after_error = 0  # retried after an error answer (expected)
        self.recent_lost: deque[dict[str, Any]] = deque(maxlen=RECENT_LOST)

    def track(self, environ: dict[str, Any], start_response: Callable) -> Callable:
        """Count this request if it is a retry; return a start_response that records its status."""
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation:
            return start_response
        attempt = _attempt(environ)
        if attempt > 1:
            with self._lock:
                previous = self._last_status.get(invocation)
                if previous is not None and _is_error(previous):
                    self.after_error += 1
                else:
                    operation = operation_name(environ)
                    self.lost[operation] += 1
                    self.recent_lost.append(
                        {
                            "operation": operation,
                            "invocation_id": invocation,
                            "attempt": attempt,
                            "earlier_status": previous,  # None: no earlier attempt was answered
                        }
                    )

        def recording(status: str, headers: Any, exc_info: Any = None) -> Any:
            with self._lock:
                self._last_status[invocation] = int(status.split(" ", 1)[0])
                self._last_status.move_to_end(invocation)
                while len(self._last_status) > MAX_OPERATIONS:
                    self._last_status.popitem(last=False)
            if exc_info:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        return recording

    def summary(self) -> dict[str, Any]:
        """The health endpoint's view: lost-answer retries (total, by operation), expected ones."""
        with self._lock:
            return {
                "retried_attempts": sum(self.lost.values()),
                "retried_attempts_by_operation": dict(self.lost),
                "retried_attempts_recent": list(self.recent_lost),
                "retried_after_error": self.after_error,
            }


def operation_name(environ: dict[str, Any]) -> str:
    """`X-Amz-Target` for JSON APIs, else the signing service, method and path.

    (Query APIs such as IAM and STS name their action in the body, which is not read here.)
    """
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target
    scope = credential_scope(environ)
    service = scope.service if scope else "unsigned"
    return f"{service} {environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '')}"


def _is_error(status: int) -> bool:
    return status >= 500 or status in (400, 429)  # 400: DynamoDB's and STS's throttle answers


def _attempt(environ: dict[str, Any]) -> int:
    match = ATTEMPT.search(environ.get("HTTP_AMZ_SDK_REQUEST", ""))
    return int(match[1]) if match else 1
