"""HTTP helpers in Terratest's vocabulary (`HttpGetWithRetry`).

Retries are bounded and only for answers known to be transient on AWS: a freshly deployed HTTP
API answers 404 until its routes propagate and 500 until Lambda permissions do, and a throttled
stage answers 429. Any other unexpected status fails at once.
"""

import time

import requests

TRANSIENT_STATUSES = frozenset({404, 429, 500, 502, 503, 504})


class HttpRetryError(AssertionError):
    """The expected status never came within the allowed attempts."""


def http_get_with_retry(
    url: str,
    *,
    expected_status: int = 200,
    attempts: int = 10,
    sleep_seconds: float = 1.0,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    transient_statuses: frozenset[int] = TRANSIENT_STATUSES,
) -> requests.Response:
    """GET `url` until it answers `expected_status`; retry connection errors and transient codes."""
    last = "no attempt made"
    for attempt in range(1, attempts + 1):
        try:
            response = requests.get(url, headers=headers, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as error:
            last = f"{type(error).__name__}: {error}"
        else:
            if response.status_code == expected_status:
                return response
            last = f"HTTP {response.status_code}: {response.text[:200]}"
            if response.status_code not in transient_statuses:
                break
        if attempt < attempts:
            time.sleep(sleep_seconds)
    raise HttpRetryError(f"GET {url} never answered {expected_status} ({attempts} tries): {last}")
