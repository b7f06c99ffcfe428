"""The metrics Lambda publishes for each invocation (AWS/Lambda, dimension `FunctionName`).

https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html: `Invocations` and
`Errors` (a function error counts both), `Duration`, `ConcurrentExecutions` (in flight when it
started; alarms read its Maximum), and `Throttles` for an invocation refused at once (a throttled
invocation is not an `Invocations`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from counterstack.local.awslambda.concurrency import Throttled
from counterstack.local.cloudwatch import metrics

NAMESPACE = "AWS/Lambda"

_lock = threading.Lock()
_in_flight: dict[tuple[str, str, str], int] = {}


@contextmanager
def measured(function: Any) -> Iterator[Callable[[Any], None]]:
    """Around one invocation of moto's `function`; call what it yields with the `Invocation`."""
    account_id, region = function.account_id, function.region
    function_name = function.function_name
    key = (account_id, region, function_name)
    dimensions = [{"FunctionName": function_name}]
    with _lock:
        running = _in_flight[key] = _in_flight.get(key, 0) + 1

    def done(invocation: Any) -> None:
        values = {
            "Invocations": (1.0, "Count"),
            "Errors": (1.0 if invocation.error else 0.0, "Count"),
            "Duration": (float(invocation.duration_ms), "Milliseconds"),
            "ConcurrentExecutions": (float(running), "Count"),
        }
        metrics.put(account_id, region, NAMESPACE, values, dimensions)

    try:
        yield done
    except Throttled:
        metrics.put(account_id, region, NAMESPACE, {"Throttles": (1.0, "Count")}, dimensions)
        raise
    finally:
        with _lock:
            _in_flight[key] -= 1
            if not _in_flight[key]:
                del _in_flight[key]
