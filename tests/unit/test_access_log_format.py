"""Rendering of `$context` variables in an access-log format.

(`counterstack.local.apigateway.access_log`)
"""

import pytest

from counterstack.local.apigateway.access_log import RequestRecord, render

pytestmark = pytest.mark.unit

CONTEXT = {"status": "200", "identity.sourceIp": "10.0.0.1", "routeKey": "GET /visitors"}


@pytest.mark.parametrize(
    ("log_format", "line"),
    [
        ('{"s":"$context.status"}', '{"s":"200"}'),
        ("$context.identity.sourceIp $context.routeKey", "10.0.0.1 GET /visitors"),
        ("$context.noSuchVariable|$context.identity.user", "-|-"),  # no value: "-"
        ("status=$context.status.", "status=200."),  # a dot after a name stays text
        ("no variables at all", "no variables at all"),
    ],
)
def test_variables_are_replaced_and_unknown_ones_are_a_dash(log_format, line):
    assert render(log_format, CONTEXT) == line


def test_a_request_that_reached_no_route_has_no_route_key_or_integration():
    record = RequestRecord(
        request_id="abc=",
        started=0.0,
        api_id="a1",
        account_id="123456789012",
        domain_name="a1.execute-api.localhost",
        method="GET",
        path="/prod/x",
        protocol="HTTP/1.1",
        source_ip="127.0.0.1",
        user_agent=None,
        stage="prod",
        error_message="Not Found",
    )
    context = record.context(status=404, response_length=23, finished=0.005)
    assert render("$context.routeKey $context.integration.status", context) == "- -"
    assert context["error.messageString"] == '"Not Found"'
    assert context["requestTime"] == "01/Jan/1970:00:00:00 +0000"
    assert (context["responseLatency"], context["responseLength"]) == ("5", "23")
    assert "identity.userAgent" not in context
