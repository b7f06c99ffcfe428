"""Bounded retries of operations that fail transiently (throttling, eventual consistency)."""

import re
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Error texts the AWS provider prints for failures that a second try can clear.
TRANSIENT_ERROR = re.compile(
    r"Throttling|TooManyRequests|RequestLimitExceeded|Rate exceeded|ConflictException|"
    r"ResourceInUseException|ResourceConflictException|ServiceUnavailable|InternalServerError|"
    r"InternalFailure|connection reset|connection refused|i/o timeout|TLS handshake timeout|"
    r"send request failed|StatusCode: 5\d\d",
    re.IGNORECASE,
)


def is_transient(error: BaseException) -> bool:
    return bool(TRANSIENT_ERROR.search(str(error)))


def retry(
    operation: Callable[[], T],
    *,
    attempts: int = 3,
    sleep_seconds: float = 2.0,
    transient: Callable[[BaseException], bool] = is_transient,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """Run `operation`; on a transient error try again, up to `attempts` times in all."""
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except Exception as error:
            if attempt == attempts or not transient(error):
                raise
            if on_retry:
                on_retry(attempt, error)
            time.sleep(sleep_seconds * attempt)
    raise AssertionError("unreachable")
