"""examples/complete: given a name prefix, the plan holds the whole visitor-counter stack."""

import pytest

from counterstack import seed
from counterstack.harness.plan import validation_messages
from counterstack.paths import EXAMPLE_COMPLETE

pytestmark = pytest.mark.modules

PREFIX = "plantest"
SEED_ORIGINS = list(seed.SEED_ORIGINS)


@pytest.fixture
def stack(shared_plan, package_path):
    return shared_plan(
        "example-complete", EXAMPLE_COMPLETE, name_prefix=PREFIX, package_path=package_path
    )


def test_stack_has_four_modules_and_nineteen_resources(stack):
    assert stack.counts == {
        "modules": 4,
        "resources": 19,
        "aws_dynamodb_table": 1,
        "aws_iam_role": 1,
        "aws_iam_role_policy": 1,
        "aws_cloudwatch_log_group": 2,
        "aws_lambda_function": 1,
        "aws_apigatewayv2_api": 1,
        "aws_apigatewayv2_integration": 1,
        "aws_apigatewayv2_route": 1,
        "aws_apigatewayv2_stage": 1,
        "aws_lambda_permission": 1,
        "aws_kms_key": 1,
        "aws_kms_alias": 1,
        "aws_sns_topic": 1,
        "aws_cloudwatch_metric_alarm": 5,
    }


def test_every_name_derives_from_the_prefix(stack):
    names = {
        "module.dynamodb.aws_dynamodb_table.this": f"{PREFIX}-visitors",
        "module.lambda.aws_lambda_function.this": f"{PREFIX}-visitor-counter",
        "module.lambda.aws_iam_role.this": f"{PREFIX}-visitor-counter",
        "module.lambda.aws_cloudwatch_log_group.this": f"/aws/lambda/{PREFIX}-visitor-counter",
        "module.http_api.aws_apigatewayv2_api.this": f"{PREFIX}-visitors-api",
        "module.http_api.aws_cloudwatch_log_group.access": f"/aws/apigateway/{PREFIX}-visitors-api",
        "module.alarms.aws_sns_topic.this": f"{PREFIX}-alarms",
        "module.alarms.aws_kms_alias.this[0]": f"alias/{PREFIX}-alarms",
        'module.alarms.aws_cloudwatch_metric_alarm.this["api-5xx"]': f"{PREFIX}-api-5xx",
    }
    for address, name in names.items():
        key = "function_name" if address.endswith("aws_lambda_function.this") else "name"
        key = "alarm_name" if "metric_alarm" in address else key
        assert stack.values[address][key] == name, address
    for address, values in stack.values.items():
        if "tags" in values:
            assert values["tags"] == {"Stack": PREFIX}, address


def test_seed_values(stack):
    table = stack.values["module.dynamodb.aws_dynamodb_table.this"]
    assert (table["hash_key"], table["billing_mode"]) == ("id", "PAY_PER_REQUEST")
    assert table["deletion_protection_enabled"] is False
    function = stack.values["module.lambda.aws_lambda_function.this"]
    assert function["handler"] == "visitor_counter.handler.handler"
    assert function["runtime"] == "python3.12"
    assert function["environment"] == [{"variables": {"TABLE_NAME": f"{PREFIX}-visitors"}}]
    api = stack.values["module.http_api.aws_apigatewayv2_api.this"]
    assert api["cors_configuration"][0]["allow_origins"] == SEED_ORIGINS
    assert api["cors_configuration"][0]["allow_methods"] == ["GET", "OPTIONS"]
    route = stack.values['module.http_api.aws_apigatewayv2_route.this["GET /visitors"]']
    assert route["route_key"] == "GET /visitors"
    assert stack.values["module.http_api.aws_apigatewayv2_stage.this"]["name"] == "prod"
    permission = stack.values['module.http_api.aws_lambda_permission.this["GET /visitors"]']
    assert permission["principal"] == "apigateway.amazonaws.com"


def test_policy_is_update_item_on_the_table_arn(stack):
    # The table ARN is known after apply, so the policy is too: check what it is made of.
    address = "module.lambda.aws_iam_role_policy.this"
    assert stack.is_unknown(address, "policy")
    call = stack.configuration["root_module"]["module_calls"]["lambda"]
    assert call["expressions"]["policy_statements"]["references"] == [
        "module.dynamodb.arn",
        "module.dynamodb",
    ]
    source = (EXAMPLE_COMPLETE / "main.tf").read_text()
    assert 'actions   = ["dynamodb:UpdateItem"]' in source
    assert "resources = [module.dynamodb.arn]" in source


def test_outputs(stack):
    assert stack.outputs["table_name"] == f"{PREFIX}-visitors"
    assert stack.outputs["function_name"] == f"{PREFIX}-visitor-counter"
    for name in ("api_id", "invoke_url", "visitors_url"):
        assert stack.output_is_unknown(name)
    visitors_url = stack.configuration["root_module"]["outputs"]["visitors_url"]["expression"]
    assert visitors_url["references"] == ["module.http_api.invoke_url", "module.http_api"]
    assert stack.output_is_unknown("alarm_topic_arn")
    assert stack.outputs["alarm_names"] == {
        kind: f"{PREFIX}-{kind}"
        for kind in (
            "api-5xx",
            "api-latency",
            "lambda-duration",
            "lambda-errors",
            "lambda-throttles",
        )
    }


def test_alarms_watch_this_stacks_function_and_stage(stack):
    errors = stack.values['module.alarms.aws_cloudwatch_metric_alarm.this["lambda-errors"]']
    assert errors["dimensions"] == {"FunctionName": f"{PREFIX}-visitor-counter"}
    duration = stack.values['module.alarms.aws_cloudwatch_metric_alarm.this["lambda-duration"]']
    function = stack.values["module.lambda.aws_lambda_function.this"]
    assert duration["threshold"] == function["timeout"] * 1000 * 0.8  # one timeout for both
    call = stack.configuration["root_module"]["module_calls"]["alarms"]
    references = call["expressions"]["function_timeout"]["references"]
    assert references == ["module.lambda.timeout", "module.lambda"]  # read from the function
    five = 'module.alarms.aws_cloudwatch_metric_alarm.this["api-5xx"]'
    assert stack.is_unknown(five, "dimensions")  # holds the API's id, known after apply


def test_region_comes_from_the_variable(stack):
    assert stack.data["module.lambda.data.aws_region.current"]["name"] == "eu-west-1"


INVALID_PREFIXES = ["", "Upper", "1starts-with-digit", "has_underscore", "trailing-", "x" * 33]
LONGEST_PREFIX = "p" * 32


@pytest.fixture(scope="module")
def outcomes(judged):
    """Each prefix judged by one plan of the example's variables: its errors, "" if it passes."""
    cases = {f"invalid-{n}": {"name_prefix": p} for n, p in enumerate(INVALID_PREFIXES)}
    return judged(EXAMPLE_COMPLETE, {**cases, "longest": {"name_prefix": LONGEST_PREFIX}})


@pytest.mark.parametrize("n", range(len(INVALID_PREFIXES)), ids=INVALID_PREFIXES)
def test_invalid_name_prefix_is_rejected(outcomes, n):
    messages = validation_messages(outcomes[f"invalid-{n}"])
    assert list(messages) == ["name_prefix"]
    assert messages["name_prefix"][0].startswith("name_prefix ")


def test_longest_prefix_keeps_every_name_within_aws_limits(outcomes):
    prefix = LONGEST_PREFIX
    assert outcomes["longest"] == ""
    assert len(f"{prefix}-visitor-counter") <= 64  # Lambda function and IAM role names
    assert len(f"{prefix}-visitors-api") <= 128
