"""GET /visitors over HTTP on the shared stack: counting, CORS, routing, concurrency, drift.

The smoke-marked tests change no infrastructure and also run against a deployed environment
(`--smoke-url`), which is how promotion checks dev before prod.
"""

import math
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from counterstack.harness.http import http_get_with_retry
from counterstack.paths import LIVE_DIR
from counterstack.terragrunt.hcl import block, literal, load_hcl

pytestmark = pytest.mark.e2e  # in the xdist group `shared-stack` (tests/xdist_groups.py)

FOREIGN_ORIGIN = "https://attacker.example"
TIMEOUT = 10
OTHER_VISITS = 3
THROTTLED = frozenset({429})


def count_of(response: requests.Response) -> int:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"count"}
    return body["count"]


def live_stage_limits() -> tuple[int, float]:
    """The largest stage (burst, rate) of the live/ environments: what a smoke URL can admit."""
    limits = [block(load_hcl(env), "locals") for env in sorted(LIVE_DIR.glob("*/env.hcl"))]
    assert limits, f"no env.hcl under {LIVE_DIR}"
    return (
        max(literal(env["throttling_burst_limit"]) for env in limits),
        max(literal(env["throttling_rate_limit"]) for env in limits),
    )


def assert_our_visit_counted(first: int, second: int, seconds: float, *, alone: bool) -> None:
    """+1 exactly when nothing else calls the stack; on a live site, other visitors may count in
    between, but never more than the stage admits in that time (burst + rate x seconds)."""
    if alone:
        assert second == first + 1
        return
    burst, rate = live_stage_limits()
    others = burst + math.ceil(rate * seconds)
    assert first < second <= first + 1 + others, (
        f"count went {first} -> {second} in {seconds:.2f} s; expected a rise of 1 to {1 + others}"
    )


def two_visits(url: str, between=lambda: None) -> tuple[int, int, float]:
    """Our two counted visits, what happened `between` them, and the seconds they were apart."""
    first = count_of(http_get_with_retry(url))
    started = time.monotonic()
    between()
    # A stage answering 429 ran nothing and counted nothing, so retrying it keeps the arithmetic.
    second = count_of(http_get_with_retry(url, transient_statuses=THROTTLED))
    return first, second, time.monotonic() - started


@pytest.mark.smoke
def test_each_get_counts_one_visit(counter):
    first, second, seconds = two_visits(counter.url)
    assert first >= 1
    assert_our_visit_counted(first, second, seconds, alone=counter.stack is not None)


def test_the_smoke_check_holds_while_others_visit(counter):
    """What a live site does to the smoke test: visits between ours, which +1 would reject."""
    if counter.stack is None:
        pytest.skip("smoke mode: this test makes visits of its own")

    def other_visitors() -> None:
        for _ in range(OTHER_VISITS):
            assert requests.get(counter.url, timeout=TIMEOUT).status_code == 200

    first, second, seconds = two_visits(counter.url, between=other_visitors)
    assert second == first + 1 + OTHER_VISITS  # so `second == first + 1` would fail here
    assert_our_visit_counted(first, second, seconds, alone=False)


@pytest.mark.smoke
def test_allowed_origin_is_echoed(counter):
    response = http_get_with_retry(counter.url, headers={"origin": counter.allowed_origin})
    assert response.headers.get("access-control-allow-origin") == counter.allowed_origin


@pytest.mark.smoke
def test_foreign_origin_gets_no_cors_header(counter):
    response = http_get_with_retry(counter.url, headers={"origin": FOREIGN_ORIGIN})
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.smoke
def test_preflight_is_answered_for_allowed_origin(counter):
    response = requests.options(
        counter.url,
        headers={"origin": counter.allowed_origin, "access-control-request-method": "GET"},
        timeout=TIMEOUT,
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == counter.allowed_origin
    assert "GET" in response.headers["access-control-allow-methods"].upper()


@pytest.mark.smoke
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/visitors"), ("GET", "/unknown"), ("GET", "/visitors/1")]
)
def test_other_routes_are_not_found(counter, method, path):
    response = requests.request(method, counter.sibling(path), timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_concurrent_gets_lose_no_visit(counter):
    start = count_of(http_get_with_retry(counter.url))
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: requests.get(counter.url, timeout=30), range(100)))
    assert [r.status_code for r in responses] == [200] * 100
    assert sorted(count_of(r) for r in responses) == list(range(start + 1, start + 101))
    assert count_of(requests.get(counter.url, timeout=TIMEOUT)) == start + 101


def test_replan_after_apply_shows_no_changes(counter):
    if counter.stack is None:
        pytest.skip("smoke mode: no Terraform state here")
    assert counter.stack.plan_changes() is None


def test_second_apply_changes_nothing(counter):
    """Applying the same configuration twice is a no-op: no perpetual diff, no replacement."""
    if counter.stack is None:
        pytest.skip("smoke mode: no Terraform state here")
    output = counter.stack.terraform.apply(auto_approve=True)
    assert "No changes." in output, output
    assert "Resources: 0 added, 0 changed, 0 destroyed." in output, output
