"""A retried SDK attempt whose operation already succeeded here gets that first answer again.

Under load, Terraform's provider now and then loses the answer to a request the account did
serve (its SDK sees a transport error; the account logged a 2xx) and sends the operation again.
For a create that second attempt fails — "Table already exists", a second statement under the
same id — although nothing went wrong in the account, and the provider then waits out its
5-minute retry loops. AWS SDKs mark every attempt of one operation with the same
`amz-sdk-invocation-id` and number it in `amz-sdk-request: attempt=N`, so the account answers a
later attempt of an operation it already completed with the stored answer, as if the first one
had arrived. Reads, failed answers and requests without those headers pass through untouched.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ATTEMPT = re.compile(r"attempt=(\d+)")
MAX_ANSWERS = 512  # operations remembered; a retry comes within seconds of its first attempt
MAX_BODY_BYTES = 64 * 1024

Answer = tuple[str, list[tuple[str, str]], bytes]


class RetryReplay:
    """Remembers the 2xx answers of mutating SDK operations by invocation id."""

    def __init__(self) -> None:
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()
        self.replayed = 0  # how many retried attempts were answered from memory

    def __call__(
        self, app: Callable, environ: dict[str, Any], start_response: Callable
    ) -> Iterable[bytes]:
        """Serve the request with `app`, or replay the answer its operation already got."""
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation or environ.get("REQUEST_METHOD") not in MUTATING_METHODS:
            return app(environ, start_response)
        if _attempt(environ) > 1:
            with self._lock:
                answer = self._answers.get(invocation)
                if answer is not None:
                    self.replayed += 1
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, list(headers)]
            if exc_info:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        result = app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        if captured and captured[0].startswith("2") and len(body) <= MAX_BODY_BYTES:
            with self._lock:
                self._answers[invocation] = (captured[0], captured[1], body)
                while len(self._answers) > MAX_ANSWERS:
                    self._answers.popitem(last=False)
        return [body]


def _attempt(environ: dict[str, Any]) -> int:
    match = ATTEMPT.search(environ.get("HTTP_AMZ_SDK_REQUEST", ""))
    return int(match[1]) if match else 1
