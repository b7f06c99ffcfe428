"""modules/http-api: given routes and origins, the plan holds API, stage, logs, permissions."""

import hashlib
import json
import os
import subprocess

import pytest

from counterstack.harness.plan import prepare_copy, validation_messages
from counterstack.harness.plan_batch import Variant
from counterstack.harness.provider_process import reattached
from counterstack.paths import MODULES_DIR
from counterstack.seed import SEED_ORIGINS
from counterstack.terraform_cli import terraform_env

pytestmark = pytest.mark.modules

HTTP_API = MODULES_DIR / "http-api"
API = "aws_apigatewayv2_api.this"
STAGE = "aws_apigatewayv2_stage.this"
ACCESS_LOGS = "aws_cloudwatch_log_group.access"
INVOKE_ARN = (
    "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:eu-west-1:123456789012:function:{}/invocations"
)
ORIGINS = list(SEED_ORIGINS)
ADOPTED_SOURCE_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/*/visitors"


def route(function_name):
    return {"function_name": function_name, "invoke_arn": INVOKE_ARN.format(function_name)}


def planned(package_path: str) -> dict[str, Variant]:
    """This file's input sets (tests/modules/conftest.py plans every file's in one plan)."""
    return {
        "minimal": (
            HTTP_API,
            dict(
                name="plan-test-api",
                routes={"GET /visitors": route("plan-test-fn")},
                cors_allow_origins=ORIGINS,
            ),
        ),
        "several": (
            HTTP_API,
            dict(
                name="plan-test-multi",
                routes={
                    "GET /visitors": route("fn-a"),
                    "POST /visitors/{id}": route("fn-a"),
                    "DELETE /items/{proxy+}": route("fn-b"),
                },
                stage_name="dev",
                cors_allow_origins=["http://localhost:3000"],
                throttling_burst_limit=5,
                throttling_rate_limit=2.5,
                access_log_retention_days=30,
                tags={"Team": "web"},
            ),
        ),
        "adopted": (
            HTTP_API,
            dict(
                name="plan-test-api",
                routes=VALID_ROUTES,
                permission_statement_id="lambda-0b5e1c1e-8f3a-4c1e-9d55-3c1f2e7a9b10",
                permission_source_arn=ADOPTED_SOURCE_ARN,
            ),
        ),
        "adopted-per-route": (
            HTTP_API,
            dict(
                name="plan-test-api",
                routes=VALID_ROUTES,
                permission_statement_id="shared-id",
                permission_statement_ids={"GET /visitors": "lambda-per-route"},
                permission_source_arns={"GET /visitors": ADOPTED_SOURCE_ARN},
            ),
        ),
        "default-route": (
            HTTP_API,
            dict(
                name="plan-test-default",
                routes={"$default": route("fn-c")},
                stage_name="$default",
                cors_allow_origins=["https://example.org"],
            ),
        ),
    }


@pytest.fixture
def minimal(plans):
    return plans["minimal"]


@pytest.fixture
def several(plans):
    return plans["several"]


def test_plan_holds_api_route_integration_stage_logs_permission(minimal):
    assert minimal.counts == {
        "resources": 6,
        "aws_apigatewayv2_api": 1,
        "aws_apigatewayv2_integration": 1,
        "aws_apigatewayv2_route": 1,
        "aws_apigatewayv2_stage": 1,
        "aws_cloudwatch_log_group": 1,
        "aws_lambda_permission": 1,
    }


def test_api_is_http_with_cors_from_the_origins_and_route_methods(minimal):
    api = minimal.values[API]
    assert api["name"] == "plan-test-api"
    assert api["protocol_type"] == "HTTP"
    assert api["cors_configuration"] == [
        {
            "allow_origins": ORIGINS,
            "allow_methods": ["GET", "OPTIONS"],
            "allow_headers": ["content-type"],
            "allow_credentials": None,
            "expose_headers": None,
            "max_age": 3600,
        }
    ]


def test_each_route_proxies_to_its_function_with_payload_2(minimal):
    key = '["GET /visitors"]'
    integration = minimal.values[f"aws_apigatewayv2_integration.this{key}"]
    assert integration["integration_type"] == "AWS_PROXY"
    assert integration["integration_method"] == "POST"
    assert integration["payload_format_version"] == "2.0"
    assert integration["integration_uri"] == INVOKE_ARN.format("plan-test-fn")
    assert minimal.values[f"aws_apigatewayv2_route.this{key}"]["route_key"] == "GET /visitors"
    # The target is the integration's id, known after apply: check what it refers to.
    assert minimal.is_unknown(f"aws_apigatewayv2_route.this{key}", "target")
    assert "aws_apigatewayv2_integration.this" in minimal.references(
        "aws_apigatewayv2_route.this", "target"
    )


def test_stage_auto_deploys_with_throttling_and_json_access_logs(minimal):
    stage = minimal.values[STAGE]
    assert stage["name"] == "prod"
    assert stage["auto_deploy"] is True
    settings = stage["default_route_settings"][0]
    assert (settings["throttling_burst_limit"], settings["throttling_rate_limit"]) == (100, 50)
    log_format = json.loads(stage["access_log_settings"][0]["format"])
    assert log_format["requestId"] == "$context.requestId"
    assert {"status", "routeKey", "sourceIp", "integrationError"} <= set(log_format)
    assert minimal.is_unknown(STAGE, "access_log_settings", 0, "destination_arn")
    assert minimal.references(STAGE, "access_log_settings", 0, "destination_arn") == [
        "aws_cloudwatch_log_group.access.arn",
        "aws_cloudwatch_log_group.access",
    ]


def test_access_log_group_is_named_after_the_api_with_retention(minimal):
    assert minimal.values[ACCESS_LOGS]["name"] == "/aws/apigateway/plan-test-api"
    assert minimal.values[ACCESS_LOGS]["retention_in_days"] == 14


PERMISSION = 'aws_lambda_permission.this["GET /visitors"]'


def default_statement_id(api_name: str, route_key: str) -> str:
    """The module's default: one statement per route, so a replacement can exist beside it."""
    digest = hashlib.sha1(route_key.encode()).hexdigest()[:8]
    return f"AllowInvokeFromHttpApi-{api_name}"[:91] + f"-{digest}"


def test_api_gateway_may_invoke_the_function_from_this_api_only(minimal):
    permission = minimal.values[PERMISSION]
    assert permission["function_name"] == "plan-test-fn"
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert minimal.is_unknown(PERMISSION, "source_arn")  # holds the API's execution ARN
    expression = minimal.configuration["root_module"]["resources"]
    (config,) = [r for r in expression if r["address"] == "aws_lambda_permission.this"]
    references = config["expressions"]["source_arn"]["references"]
    assert "aws_apigatewayv2_api.this.execution_arn" in references
    assert {"var.stage_name", "local.route_source_paths"} <= set(references)  # scoped to the route


def test_default_statement_id_is_named_after_the_api_and_the_route(minimal):
    permission = minimal.values[PERMISSION]
    assert permission["statement_id"] == default_statement_id("plan-test-api", "GET /visitors")


def test_adopted_permission_keeps_its_statement_id_and_source_arn(plans):
    """The console's permission is planned as it is: every argument would force a replacement."""
    summary = plans["adopted"]
    permission = summary.values[PERMISSION]
    assert permission["statement_id"] == "lambda-0b5e1c1e-8f3a-4c1e-9d55-3c1f2e7a9b10"
    assert permission["source_arn"] == ADOPTED_SOURCE_ARN


def test_per_route_identity_wins_over_the_single_values(plans):
    """Adopted permissions whose ids differ per route: each route's entry is planned."""
    summary = plans["adopted-per-route"]
    permission = summary.values[PERMISSION]
    assert permission["statement_id"] == "lambda-per-route"
    assert permission["source_arn"] == ADOPTED_SOURCE_ARN


SOURCE_ROUTES = {
    "GET /visitors": "GET/visitors",
    "POST /visitors/{id}": "POST/visitors/*",
    "ANY /items/{proxy+}": "*/items/*",
    "GET /": "GET/",
    "$default": "$default",
}


@pytest.fixture(scope="module")
def source_paths(tmp_path_factory, plan_provider) -> dict[str, str]:
    """What follows `<execution_arn>/` in each route's permission, as Terraform evaluates the
    module's expression (the execution ARN itself is only known after apply)."""
    copy = prepare_copy(HTTP_API, tmp_path_factory.mktemp("source-paths"))
    routes = {key: route("fn") for key in SOURCE_ROUTES}
    variables = {"name": "plan-test-api", "stage_name": "live", "routes": routes}
    (copy / "terraform.tfvars.json").write_text(json.dumps(variables))
    expression = (
        'jsonencode({for k, p in local.route_source_paths : k => "${var.stage_name}/${p}"})'
    )
    with reattached(plan_provider) as reattach:
        env = {**os.environ, **terraform_env(), **reattach}
        for args, given in (
            (["init", "-backend=false", "-input=false"], None),
            (["console"], expression),
        ):
            run = subprocess.run(
                ["terraform", *args],
                cwd=copy,
                env=env,
                input=given,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(json.loads(run.stdout.strip()))


@pytest.mark.parametrize(("route_key", "path"), SOURCE_ROUTES.items())
def test_each_permission_is_scoped_to_its_stage_method_and_path(source_paths, route_key, path):
    """What API Gateway presents for this route and no other: ANY and path parameters match any."""
    assert source_paths[route_key] == f"live/{path}"


def test_outputs(minimal):
    for name in ("api_id", "api_endpoint", "execution_arn", "invoke_url"):
        assert minimal.output_is_unknown(name)
    assert minimal.references(STAGE, "api_id") == [
        "aws_apigatewayv2_api.this.id",
        "aws_apigatewayv2_api.this",
    ]


def test_several_routes_one_permission_per_route_each_its_own_statement(several):
    assert several.counts["aws_apigatewayv2_route"] == 3
    assert several.counts["aws_apigatewayv2_integration"] == 3
    permissions = {
        address.split('"')[1]: values
        for address, values in several.values.items()
        if address.startswith("aws_lambda_permission")
    }
    assert {key: values["function_name"] for key, values in permissions.items()} == {
        "DELETE /items/{proxy+}": "fn-b",
        "GET /visitors": "fn-a",
        "POST /visitors/{id}": "fn-a",
    }
    # Two statements on fn-a: distinct ids, or the second would replace the first.
    assert {key: values["statement_id"] for key, values in permissions.items()} == {
        key: default_statement_id("plan-test-multi", key) for key in permissions
    }
    assert len({values["statement_id"] for values in permissions.values()}) == 3
    route_keys = sorted(
        v["route_key"] for a, v in several.values.items() if a.startswith("aws_apigatewayv2_route")
    )
    assert route_keys == ["DELETE /items/{proxy+}", "GET /visitors", "POST /visitors/{id}"]


def test_several_routes_inputs_reach_cors_stage_and_logs(several):
    cors = several.values[API]["cors_configuration"][0]
    assert cors["allow_origins"] == ["http://localhost:3000"]
    assert cors["allow_methods"] == ["DELETE", "GET", "OPTIONS", "POST"]
    stage = several.values[STAGE]
    assert stage["name"] == "dev"
    settings = stage["default_route_settings"][0]
    assert (settings["throttling_burst_limit"], settings["throttling_rate_limit"]) == (5, 2.5)
    assert several.values[ACCESS_LOGS]["retention_in_days"] == 30
    for address in (API, STAGE, ACCESS_LOGS):
        assert several.values[address]["tags"] == {"Team": "web"}


VALID_ROUTES = {"GET /visitors": route("plan-test-fn")}
INVALID = {
    "name-empty": ({"name": ""}, "name"),
    "name-slash": ({"name": "my/api"}, "name"),
    "no-routes": ({"routes": {}}, "routes"),
    "route-bad-method": ({"routes": {"FETCH /visitors": route("fn")}}, "routes"),
    "route-no-slash": ({"routes": {"GET visitors": route("fn")}}, "routes"),
    "route-no-space": ({"routes": {"GET/visitors": route("fn")}}, "routes"),
    "route-proxy-not-last": ({"routes": {"GET /{proxy+}/x": route("fn")}}, "routes"),
    "route-lowercase-method": ({"routes": {"get /visitors": route("fn")}}, "routes"),
    "route-bad-function": ({"routes": {"GET /v": route("bad name")}}, "routes"),
    "route-bad-invoke-arn": (
        {"routes": {"GET /v": {"function_name": "fn", "invoke_arn": "fn"}}},
        "routes",
    ),
    "stage-bad": ({"stage_name": "prod stage"}, "stage_name"),
    "origin-trailing-slash": (
        {"cors_allow_origins": ["https://selimcelem.com/"]},
        "cors_allow_origins",
    ),
    "origin-path": ({"cors_allow_origins": ["https://selimcelem.com/app"]}, "cors_allow_origins"),
    "origin-http": ({"cors_allow_origins": ["http://selimcelem.com"]}, "cors_allow_origins"),
    "origin-wildcard": ({"cors_allow_origins": ["*"]}, "cors_allow_origins"),
    "origin-no-scheme": ({"cors_allow_origins": ["selimcelem.com"]}, "cors_allow_origins"),
    "origin-duplicate": (
        {"cors_allow_origins": ["https://a.example", "https://a.example"]},
        "cors_allow_origins",
    ),
    "burst-negative": ({"throttling_burst_limit": -1}, "throttling_burst_limit"),
    "burst-fraction": ({"throttling_burst_limit": 1.5}, "throttling_burst_limit"),
    "rate-negative": ({"throttling_rate_limit": -0.5}, "throttling_rate_limit"),
    "retention-unaccepted": ({"access_log_retention_days": 2}, "access_log_retention_days"),
    "statement-id-space": ({"permission_statement_id": "allow api"}, "permission_statement_id"),
    "statement-id-too-long": ({"permission_statement_id": "s" * 101}, "permission_statement_id"),
    "statement-id-for-two-routes": (
        {
            "routes": {"GET /a": route("fn"), "GET /b": route("fn")},
            "permission_statement_id": "one-id",
        },
        "permission_statement_id",
    ),
    "statement-ids-by-function": (
        {"permission_statement_ids": {"plan-test-fn": "lambda-1"}},
        "permission_statement_ids",
    ),
    "source-arns-by-function": (
        {"permission_source_arns": {"plan-test-fn": ADOPTED_SOURCE_ARN}},
        "permission_source_arns",
    ),
    "source-arn-lambda": (
        {"permission_source_arn": "arn:aws:lambda:eu-west-1:123456789012:function:fn"},
        "permission_source_arn",
    ),
    "source-arn-no-path": (
        {"permission_source_arn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"},
        "permission_source_arn",
    ),
}


VALID_ROUTE_KEYS = [
    "$default",
    "ANY /{proxy+}",
    "GET /",
    "HEAD /a/{b}/c",
    "OPTIONS /a.b~c_d-e",
    "PATCH /x/{y+}",
]
VALID_ORIGINS = [
    "https://selimcelem.com",
    "https://www.selimcelem.com:8443",
    "http://localhost",
    "http://localhost:5173",
    "http://127.0.0.1:8080",
]


@pytest.fixture(scope="module")
def outcomes(judged):
    """Every case judged by one plan of the module's variables: its errors, "" if it passes."""
    valid = {"name": "plan-test-api", "routes": VALID_ROUTES}
    cases = {case: {**valid, **variables} for case, (variables, _) in INVALID.items()}
    for n, route_key in enumerate(VALID_ROUTE_KEYS):
        cases[f"route-key-{n}"] = {"name": "plan-test-api", "routes": {route_key: route("fn")}}
    for n, origin in enumerate(VALID_ORIGINS):
        cases[f"origin-{n}"] = {"name": "a", "routes": VALID_ROUTES, "cors_allow_origins": [origin]}
    return judged(HTTP_API, cases)


@pytest.mark.parametrize("case", INVALID)
def test_invalid_input_is_rejected_naming_the_variable(outcomes, case):
    variable = INVALID[case][1]
    messages = validation_messages(outcomes[case])
    assert list(messages) == [variable]
    assert all(message.startswith(f"{variable} ") for message in messages[variable])


@pytest.mark.parametrize("n", range(len(VALID_ROUTE_KEYS)), ids=VALID_ROUTE_KEYS)
def test_valid_route_keys_pass_validation(outcomes, n):
    assert outcomes[f"route-key-{n}"] == ""


@pytest.mark.parametrize("n", range(len(VALID_ORIGINS)), ids=VALID_ORIGINS)
def test_valid_origins_pass_validation(outcomes, n):
    assert outcomes[f"origin-{n}"] == ""


def test_any_or_default_route_allows_every_method(plans):
    summary = plans["default-route"]
    assert summary.values[API]["cors_configuration"][0]["allow_methods"] == ["*"]
    assert summary.values[STAGE]["name"] == "$default"
