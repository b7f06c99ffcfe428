"""Lambda's concurrency rules: reserved concurrency, the account quota, the unreserved minimum.

- A function with reserved concurrency N runs at most N invocations at once; the next one fails
  at once: 429 TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded.
- Functions without a reservation share what the reservations leave of the account quota
  (1,000 by default, 10 on some new accounts); past it: Reason ConcurrentInvocationLimitExceeded.
- PutFunctionConcurrency may not leave less than the unreserved minimum: 100, or the whole
  quota when it is below 100 ("You can reserve up to the Unreserved account concurrency value
  minus 100", https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from counterstack.errors import CounterStackError

DEFAULT_QUOTA = 1000
QUOTA_ENV = "COUNTERSTACK_LOCAL_CONCURRENCY_QUOTA"
UNRESERVED_MINIMUM = 100
RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"


class Throttled(CounterStackError):
    """Lambda refused the invocation for concurrency: 429 with this `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__("Rate Exceeded.")
        self.reason = reason


class ReservationRefused(CounterStackError):
    """A PutFunctionConcurrency Lambda refuses (400 InvalidParameterValueException)."""


def quota_from_env() -> int:
    """The account quota at start: COUNTERSTACK_LOCAL_CONCURRENCY_QUOTA, else 1,000."""
    raw = os.environ.get(QUOTA_ENV, "")
    if not raw:
        return DEFAULT_QUOTA
    try:
        return validate_quota(int(raw))
    except ValueError as error:
        raise CounterStackError(
            f"{QUOTA_ENV}={raw!r} is not a whole number of at least 1: set e.g. 10 or 1000"
        ) from error


def validate_quota(quota: int) -> int:
    if quota < 1:
        raise ValueError(quota)
    return quota


def unreserved_minimum(quota: int) -> int:
    """What reservations must leave unreserved: 100, or the whole quota below 100."""
    return min(UNRESERVED_MINIMUM, quota)


class ConcurrencyLimits:
    """In-flight invocations per function against reservations and the account quota."""

    def __init__(self, quota: int | None = None) -> None:
        self.quota = quota if quota is not None else quota_from_env()
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}  # function ARN -> in-flight invocations
        self._unreserved_running = 0

    def reset(self) -> None:
        """Back to the configured quota (a new account), in-flight counts kept."""
        with self._lock:
            self.quota = quota_from_env()

    def check_reservation(self, requested: int, reserved_by_others: int) -> None:
        """Refuse a reservation that leaves less than the unreserved minimum, as Lambda does."""
        minimum = unreserved_minimum(self.quota)
        if self.quota - reserved_by_others - requested < minimum:
            raise ReservationRefused(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{minimum}]."
            )

    @contextlib.contextmanager
    def slot(self, function_arn: str, reserved: int | None, reserved_total: int) -> Iterator[None]:
        """Hold one concurrency slot for an invocation, or raise Throttled at once."""
        with self._lock:
            running = self._running.get(function_arn, 0)
            if reserved is not None:
                if running >= reserved:
                    raise Throttled(RESERVED_LIMIT)
            elif self._unreserved_running >= max(0, self.quota - reserved_total):
                raise Throttled(ACCOUNT_LIMIT)
            self._running[function_arn] = running + 1
            if reserved is None:
                self._unreserved_running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running[function_arn] -= 1
                if not self._running[function_arn]:
                    del self._running[function_arn]
                if reserved is None:
                    self._unreserved_running -= 1
