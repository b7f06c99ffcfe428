"""Access logs of an HTTP API stage: one line per request, in the stage's own format.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
"""

import ipaddress
import json

import pytest
import requests

pytestmark = pytest.mark.account

JSON_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "sourceIp": "$context.identity.sourceIp",
        "userAgent": "$context.identity.userAgent",
        "httpMethod": "$context.httpMethod",
        "path": "$context.path",
        "stage": "$context.stage",
        "apiId": "$context.apiId",
        "integrationStatus": "$context.integration.status",
        "errorMessage": "$context.error.message",
        "unknown": "$context.noSuchVariable",
    }
)
TEXT_FORMAT = "$context.httpMethod $context.routeKey $context.status $context.error.message"


def log_lines(account, group: str, count: int, holding: str = "") -> list[str]:
    """The group's messages holding `holding` once `count` have arrived (AWS delivers them after
    a while; on an account that settles, the requests that waited for the stage log too)."""
    logs = account.client("logs")

    def messages() -> list[str]:
        events = sorted(logs.filter_log_events(logGroupName=group)["events"], key=timestamp)
        return [event["message"] for event in events if holding in event["message"]]

    return account.eventually(messages, lambda found: len(found) >= count)


def timestamp(event: dict) -> int:
    return event["timestamp"]


def logged_api(deploy, probe, unique, name: str, log_format: str, **api) -> tuple:
    """An HTTP API (over `probe`) whose stage logs to a group of its own in `log_format`:
    (group name, group ARN, api)."""
    group = f"/ct/access/{unique('log')}"
    destination = deploy.log_group(group)
    settings = {"AccessLogSettings": {"DestinationArn": destination, "Format": log_format}}
    return (
        group,
        destination,
        deploy.http_api(unique(name), probe["FunctionArn"], stage_settings=settings, **api),
    )


def test_lines_are_rendered_from_the_stages_format(account, deploy, probe, unique):
    group, _, api = logged_api(deploy, probe, unique, "logged", JSON_FORMAT)
    served = requests.get(api["url"](), headers={"User-Agent": "tests/1.0"}, timeout=30)
    missed = requests.get(api["url"]("/nowhere"), headers={"User-Agent": "tests/1.0"}, timeout=30)
    assert (served.status_code, missed.status_code) == (200, 404)

    ours = log_lines(account, group, 2, holding='"userAgent": "tests/1.0"')
    lines = {line["requestId"]: line for line in map(json.loads, ours)}
    ok = lines.pop(served.headers["apigw-requestid"])
    del ok["requestId"]
    ipaddress.ip_address(ok.pop("sourceIp"))
    assert ok == {
        "routeKey": "GET /visitors",
        "status": "200",
        "userAgent": "tests/1.0",
        "httpMethod": "GET",
        "path": "/prod/visitors",
        "stage": "prod",
        "apiId": api["api_id"],
        "integrationStatus": "200",
        "errorMessage": "-",
        "unknown": "-",
    }
    not_found = lines.pop(missed.headers["apigw-requestid"])
    assert not_found["routeKey"] == "-"
    assert not_found["status"] == "404"
    assert not_found["errorMessage"] == "Not Found"
    assert not_found["integrationStatus"] == "-"
    assert lines == {}  # one line per request


def test_a_new_format_applies_to_the_next_request(account, deploy, probe, unique):
    group, destination, api = logged_api(deploy, probe, unique, "relogged", JSON_FORMAT)
    account.client("apigatewayv2").update_stage(
        ApiId=api["api_id"],
        StageName="prod",
        AccessLogSettings={"DestinationArn": destination, "Format": TEXT_FORMAT},
    )

    def last_line() -> str:
        assert requests.post(api["url"](), timeout=30).status_code == 404  # no POST route
        return log_lines(account, group, 1)[-1]

    # on AWS the new settings take a moment: the line is in the new format once they apply
    assert account.eventually(last_line, lambda line: not line.startswith("{")) == (
        "POST - 404 Not Found"
    )


def test_a_function_error_is_logged_with_the_integrations_error(account, deploy, probe, unique):
    """Lambda answered (integration status 200) but the function failed: a 500 from the API."""
    log_format = json.dumps(
        {
            "status": "$context.status",
            "errorMessage": "$context.error.message",
            "integrationStatus": "$context.integration.status",
            "integrationErrorMessage": "$context.integrationErrorMessage",
        }
    )
    group, _, api = logged_api(
        deploy, probe, unique, "failing", log_format, routes=("ANY /things",)
    )
    assert (
        requests.post(api["url"]("/things"), json={"action": "raise"}, timeout=30).status_code
        == 500
    )
    line = json.loads(log_lines(account, group, 1)[-1])
    assert line["status"] == "500"
    assert line["errorMessage"] == "Internal Server Error"
    assert line["integrationStatus"] == "200"
    assert line["integrationErrorMessage"].startswith(
        "The Lambda function returned the following error"
    )
