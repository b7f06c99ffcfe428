"""GET /visitors over HTTP on the shared stack: counting, CORS, routing, concurrency, drift.

The smoke-marked tests change no infrastructure and also run against a deployed environment
(`--smoke-url`), which is how promotion checks dev before prod.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from counterstack.harness.http import http_get_with_retry

pytestmark = pytest.mark.e2e  # in the xdist group `shared-stack` (tests/xdist_groups.py)

FOREIGN_ORIGIN = "https://attacker.example"
TIMEOUT = 10


def count_of(response: requests.Response) -> int:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"count"}
    return body["count"]


@pytest.mark.smoke
def test_each_get_counts_one_visit(counter):
    first = count_of(http_get_with_retry(counter.url))
    second = count_of(requests.get(counter.url, timeout=TIMEOUT))
    assert first >= 1
    assert second == first + 1


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
