"""Stage throttling of an HTTP API: a token bucket per stage and route.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html:
`throttlingBurstLimit` is the bucket size, `throttlingRateLimit` the steady refill per second;
route settings override the stage's default route settings; a request finding the bucket empty
gets `429 {"message":"Too Many Requests"}`. A stage without limits is not throttled here (the
account-level limit, 10,000 requests/s, is far above anything a local test sends).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any


def limits_for(
    default_settings: Mapping[str, Any] | None,
    route_settings: Mapping[str, Mapping[str, Any]] | None,
    route_key: str,
) -> tuple[int, float] | None:
    """(burst, rate) for a route of a stage, or None when the stage sets no limits."""
    merged: dict[str, Any] = dict(default_settings or {})
    merged.update((route_settings or {}).get(route_key) or {})
    burst, rate = merged.get("throttlingBurstLimit"), merged.get("throttlingRateLimit")
    if burst is None and rate is None:
        return None
    return int(burst if burst is not None else 5000), float(rate if rate is not None else 10000)


class TokenBucket:
    """`burst` tokens at most, refilled at `rate` per second; one token per request."""

    def __init__(self, burst: int, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Throttler:
    """The buckets of every (api, stage, route); a bucket restarts full when its limits change."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def allow(self, api_id: str, stage: str, route_key: str, limits: tuple[int, float]) -> bool:
        key = (api_id, stage, route_key)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.burst, bucket.rate) != limits:
                bucket = self._buckets[key] = TokenBucket(*limits)
            return bucket.take()

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
