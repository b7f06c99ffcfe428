"""execute-api for HTTP APIs, driven only by what was deployed.

Each test names the API Gateway documentation page whose behaviour it checks.
"""

import base64
import ipaddress
import time

import pytest
import requests

from counterstack.seed import SEED_ORIGINS

pytestmark = pytest.mark.account

LAMBDA_DOC = (
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    "http-api-develop-integrations-lambda.html"
)
THROTTLING_DOC = (
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html"
)
STAGES_DOC = "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html"


@pytest.fixture
def api(deploy, probe, unique):
    """An HTTP API with several kinds of routes on a `prod` stage, all to the probe."""
    return deploy.http_api(
        unique("api"),
        probe["FunctionArn"],
        routes=(
            "GET /visitors",
            "ANY /things",
            "POST /things",
            "GET /pets/{petId}",
            "GET /pets/dog",
            "ANY /files/{proxy+}",
        ),
    )


def seen(response: requests.Response) -> dict:
    """The event the probe received (it echoes it back in a 200 JSON body)."""
    assert response.status_code == 200, response.text
    return response.json()["event"]


def test_exact_route_and_event_payload_2_0(api, account):
    """Payload format 2.0 event; on a named stage AWS puts the stage in rawPath.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
    """
    response = requests.get(
        api["url"]("/visitors") + "?a=1&a=2&b=x",
        headers={"User-Agent": "tests/1.0", "X-Custom": "Yes", "Cookie": "c1=v1; c2=v2"},
    )
    event = seen(response)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /visitors"
    assert event["rawPath"] == "/prod/visitors"
    assert event["rawQueryString"] == "a=1&a=2&b=x"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-custom"] == "Yes"
    assert "cookie" not in event["headers"]
    assert event["isBase64Encoded"] is False
    assert "pathParameters" not in event and "body" not in event
    context = event["requestContext"]
    assert context["accountId"] == account.account_id
    assert context["apiId"] == api["api_id"]
    assert context["domainPrefix"] == api["api_id"]
    assert context["domainName"].startswith(f"{api['api_id']}.execute-api.")
    http = dict(context["http"])
    ipaddress.ip_address(http.pop("sourceIp"))  # the caller's address: 127.0.0.1 locally
    assert http == {
        "method": "GET",
        "path": "/prod/visitors",
        "protocol": "HTTP/1.1",
        "userAgent": "tests/1.0",
    }
    assert context["routeKey"] == "GET /visitors"
    assert context["stage"] == "prod"
    assert context["requestId"] == response.headers["apigw-requestid"]  # one id, one request
    assert context["time"]
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 30


def test_body_is_text_or_base64(api):
    """Binary bodies arrive base64-encoded with isBase64Encoded.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    text = seen(requests.post(api["url"]("/things"), json={"k": "v"}))
    assert text["body"] == '{"k": "v"}' and text["isBase64Encoded"] is False
    binary = seen(
        requests.post(
            api["url"]("/things"),
            data=b"\x00\xff",
            headers={"content-type": "application/octet-stream"},
        )
    )
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x00\xff"


def test_route_selection_priorities(api):
    """Routing API requests: the most specific match wins.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
    """
    assert seen(requests.get(api["url"]("/pets/dog")))["routeKey"] == "GET /pets/dog"
    cat = seen(requests.get(api["url"]("/pets/cat")))
    assert cat["routeKey"] == "GET /pets/{petId}"
    assert cat["pathParameters"] == {"petId": "cat"}
    assert seen(requests.post(api["url"]("/things")))["routeKey"] == "POST /things"
    assert seen(requests.delete(api["url"]("/things")))["routeKey"] == "ANY /things"
    greedy = seen(requests.get(api["url"]("/files/a/b/c.txt")))
    assert greedy["routeKey"] == "ANY /files/{proxy+}"
    assert greedy["pathParameters"] == {"proxy": "a/b/c.txt"}


def test_no_route_no_stage_is_404(api, account):
    """No matching route (and no $default) answers 404 Not Found.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
    """
    for url in (
        api["url"]("/nowhere"),
        api["url"]("/pets/cat/extra"),
        account.execute_api_url(api["api_id"], "staging", "/visitors"),
    ):
        response = requests.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"message": "Not Found"}


@pytest.mark.local_only(reason="on AWS an unknown API id is a host name nothing answers for")
def test_an_unknown_api_is_404(local_account):
    response = requests.get(local_account.execute_api_url("nosuchapi", "prod", "/visitors"))
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_default_route_and_default_stage(deploy, probe, unique, account):
    """The $default route catches the rest; the $default stage has no stage in the URL.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
    """
    api = deploy.http_api(
        unique("dflt"), probe["FunctionArn"], routes=("$default", "GET /visitors"), stage="$default"
    )
    event = seen(requests.get(account.execute_api_url(api["api_id"], "$default", "/any/x")))
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/any/x"
    assert event["requestContext"]["stage"] == "$default"
    visitors = seen(requests.get(account.execute_api_url(api["api_id"], "$default", "/visitors")))
    assert visitors["routeKey"] == "GET /visitors"
    assert visitors["rawPath"] == "/visitors"


@pytest.mark.local_only(reason="the local gateway's host-style addressing on its own port")
def test_host_style_addressing(api, local_account):
    """The API is addressed by its host name <api_id>.execute-api.<domain>.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
    """
    response = requests.get(
        f"{local_account.endpoint}/prod/visitors",
        headers={"Host": f"{api['api_id']}.execute-api.localhost:{local_account.port}"},
    )
    assert seen(response)["rawPath"] == "/prod/visitors"


@pytest.mark.local_only(reason="maps AWS invoke URLs to the local gateway")
def test_invoke_url_maps_to_the_local_gateway(api, local_account):
    """moto reports AWS's api_endpoint; local_url maps it (and a stage's invoke URL) here."""
    assert api["endpoint"] == f"https://{api['api_id']}.execute-api.eu-west-1.amazonaws.com"
    url = local_account.local_url(api["endpoint"] + "/prod") + "/visitors"
    assert seen(requests.get(url))["routeKey"] == "GET /visitors"


@pytest.mark.parametrize(
    ("returned", "status", "body", "content_type"),
    [
        ({"statusCode": 201, "body": "made", "headers": {"x-a": "1"}}, 201, b"made", None),
        ({"statusCode": 204}, 204, b"", None),
        ({"count": 3}, 200, b'{"count": 3}', "application/json"),
        ("plain words", 200, b"plain words", "application/json"),
        ([1, 2], 200, b"[1, 2]", "application/json"),
        (
            {
                "statusCode": 200,
                "body": base64.b64encode(b"\x01\x02").decode(),
                "isBase64Encoded": True,
            },
            200,
            b"\x01\x02",
            None,
        ),
    ],
)
def test_response_mapping(api, returned, status, body, content_type):
    """Lambda function response format, payload 2.0.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    response = requests.post(api["url"]("/things"), json={"action": "return", "value": returned})
    assert response.status_code == status
    assert response.content == body
    if content_type:
        assert response.headers["content-type"] == content_type
    if status == 201:
        assert response.headers["x-a"] == "1"


def test_cookies_become_set_cookie_headers(api):
    """`cookies` in a 2.0 response become Set-Cookie headers.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    returned = {"statusCode": 200, "cookies": ["a=1; Secure", "b=2"], "body": "ok"}
    response = requests.post(api["url"]("/things"), json={"action": "return", "value": returned})
    assert response.raw.headers.getlist("set-cookie") == ["a=1; Secure", "b=2"]


@pytest.mark.parametrize("action", ["raise", "exit"])
def test_function_error_is_500(api, action):
    """A failed invocation answers 500 Internal Server Error.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    response = requests.post(api["url"]("/things"), json={"action": action})
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_malformed_response_is_500(api):
    """A statusCode that is not a number cannot be mapped: 500.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    returned = {"statusCode": "abc"}
    response = requests.post(api["url"]("/things"), json={"action": "return", "value": returned})
    assert response.status_code == 500


def test_function_timeout_is_500(deploy, probe_zip, unique):
    """The function timing out is a failed invocation: 500.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    function = deploy.function(unique("slow"), probe_zip, Timeout=1)
    api = deploy.http_api(unique("slowapi"), function["FunctionArn"], routes=("POST /things",))
    response = requests.post(api["url"]("/things"), json={"action": "sleep", "seconds": 5})
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


ORIGIN = SEED_ORIGINS[0]


@pytest.fixture
def cors_api(deploy, probe, unique):
    return deploy.http_api(
        unique("cors"),
        probe["FunctionArn"],
        routes=("GET /visitors", "POST /things"),
        CorsConfiguration={
            "AllowOrigins": list(SEED_ORIGINS),
            "AllowMethods": ["GET", "OPTIONS"],
            "AllowHeaders": ["content-type"],
            "ExposeHeaders": ["x-count"],
            "MaxAge": 300,
        },
    )


def test_cors_preflight_is_answered_by_the_gateway(cors_api):
    """Preflight OPTIONS is answered without any OPTIONS route.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
    """
    response = requests.options(
        cors_api["url"]("/visitors"),
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == "GET,OPTIONS"
    assert response.headers["access-control-allow-headers"] == "content-type"
    assert response.headers["access-control-max-age"] == "300"


def test_cors_preflight_from_another_origin_gets_no_allow_origin(cors_api):
    """An origin that is not allowed gets no CORS headers.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
    """
    response = requests.options(
        cors_api["url"]("/visitors"),
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_cors_headers_on_responses_replace_the_functions(cors_api):
    """With CORS configured, the integration's CORS headers are ignored.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
    """
    returned = {
        "statusCode": 200,
        "headers": {"access-control-allow-origin": "*", "x-count": "1"},
        "body": "{}",
    }
    allowed = requests.post(
        cors_api["url"]("/things"),
        json={"action": "return", "value": returned},
        headers={"Origin": ORIGIN},
    )
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers["access-control-expose-headers"] == "x-count"
    other = requests.post(
        cors_api["url"]("/things"),
        json={"action": "return", "value": returned},
        headers={"Origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.local_only(
    reason="AWS applies burst limits approximately across its fleet: no exact 200/429 sequence"
)
def test_stage_throttling_answers_429(deploy, probe, unique):
    """Burst and rate from the stage's default route settings.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
    """
    api = deploy.http_api(
        unique("throttled"),
        probe["FunctionArn"],
        stage_settings={
            "DefaultRouteSettings": {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.001}
        },
    )
    statuses = [requests.get(api["url"]("/visitors")).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    response = requests.get(api["url"]("/visitors"))
    assert response.json() == {"message": "Too Many Requests"}


@pytest.mark.parametrize(
    "source_arn",
    [
        None,  # no permission at all
        "arn:aws:execute-api:{region}::{api_id}/*/*",  # empty account (skip_requesting_account_id)
        "arn:aws:execute-api:{region}:{account_id}:otherapi/*/*",  # another API
        "arn:aws:execute-api:{region}:{account_id}:{api_id}/staging/*/*",  # another stage
        "arn:aws:execute-api:{region}:{account_id}:{api_id}/*/POST/visitors",  # another method
        "arn:aws:apigateway:{region}::/apis/{api_id}",  # the API's ARN, not its execution ARN
    ],
)
def test_without_a_matching_resource_policy_the_gateway_answers_500(
    deploy, probe_zip, unique, account, source_arn
):
    """API Gateway needs lambda:InvokeFunction for its source ARN.

    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html
    """
    function = deploy.function(unique("noperm"), probe_zip)
    api = deploy.http_api(unique("noperm"), function["FunctionArn"], permission_source=None)
    if source_arn is not None:
        account.client("lambda").add_permission(
            FunctionName=function["FunctionName"],
            StatementId="apigw",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=source_arn.format(
                api_id=api["api_id"], region=account.region, account_id=account.account_id
            ),
        )
    response = requests.get(api["url"]("/visitors"))
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


@pytest.mark.parametrize(
    "source_arn",
    [
        "{execution_arn}/*/*",
        "{execution_arn}/*",
        "{execution_arn}/prod/GET/visitors",
        "{execution_arn}/*/*/visitors",
    ],
)
def test_a_matching_resource_policy_lets_the_gateway_invoke(deploy, probe_zip, unique, source_arn):
    """Source ARNs with wildcards (ArnLike) that cover the request.

    https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html
    """
    function = deploy.function(unique("perm"), probe_zip)
    api = deploy.http_api(unique("perm"), function["FunctionArn"], permission_source=source_arn)
    assert requests.get(api["url"]("/visitors")).status_code == 200
