"""Property tests: whatever event arrives, the handler answers a valid payload 2.0 response.

Hypothesis generates both arbitrary JSON values and near-valid HTTP API events (random methods,
paths, stages, headers, bodies). The figure of cases tried is asserted, so a silently skipped
fuzz run cannot pass.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

CASES_PER_STRATEGY = 400

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "get"]) | st.text(
    max_size=8
)
paths = st.sampled_from(["/visitors", "/prod/visitors", "/", "/visitors/", ""]) | st.text(
    max_size=30
)
stages = st.sampled_from(["prod", "$default", "dev"]) | st.text(max_size=8) | st.none()
http_events = st.fixed_dictionaries(
    {"version": st.sampled_from(["2.0", "1.0", 2.0, None])},
    optional={
        "rawPath": paths | json_values,
        "rawQueryString": st.text(max_size=20),
        "headers": st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4),
        "body": st.text(max_size=50) | st.none(),
        "isBase64Encoded": st.booleans(),
        "requestContext": st.fixed_dictionaries(
            {},
            optional={
                "stage": stages,
                "requestId": st.text(max_size=10) | json_values,
                "http": st.fixed_dictionaries(
                    {}, optional={"method": methods | json_values, "path": paths | json_values}
                )
                | json_values,
            },
        )
        | json_values,
    },
)


def assert_valid_response(response) -> None:
    """The HTTP API payload 2.0 response shape, with a JSON body and no traceback."""
    assert isinstance(response, dict)
    assert isinstance(response["statusCode"], int) and 200 <= response["statusCode"] <= 599
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in response["headers"].items())
    assert response["headers"]["content-type"] == "application/json"
    assert response["isBase64Encoded"] is False
    body = json.loads(response["body"])
    assert isinstance(body, dict)
    assert "Traceback" not in response["body"]


FUZZ = settings(
    max_examples=CASES_PER_STRATEGY,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


def test_handler_survives_any_json_and_any_http_event(handler_module, table, capsys):
    tried = {"json": 0, "http": 0}

    @FUZZ
    @given(event=json_values)
    def any_json(event):
        tried["json"] += 1
        assert_valid_response(handler_module.handler(event, None))

    @FUZZ
    @given(event=http_events)
    def any_http_event(event):
        tried["http"] += 1
        response = handler_module.handler(event, None)
        assert_valid_response(response)
        if response["statusCode"] == 200:
            assert set(json.loads(response["body"])) == {"count"}

    any_json()
    any_http_event()
    capsys.readouterr()  # the handler's failure log lines
    assert tried["json"] >= CASES_PER_STRATEGY // 2
    assert tried["http"] >= CASES_PER_STRATEGY // 2
    print(f"fuzzed the handler with {tried['json']} JSON values and {tried['http']} HTTP events")
