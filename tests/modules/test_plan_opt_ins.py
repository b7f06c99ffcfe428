"""The modules' opt-ins for regulated organisations: off by default, exact when asked for.

Customer managed KMS keys (table, both log groups), X-Ray tracing, a role permissions boundary and
the function's architecture. Left at their defaults they add nothing to a plan: the values the
plans held before the opt-ins existed are what they hold now (the live environments' composed
plans were compared before and after, and these assertions keep it so).
"""

import json

import pytest

from counterstack.harness.plan import validation_messages
from counterstack.harness.plan_batch import Variant
from counterstack.paths import MODULES_DIR

pytestmark = pytest.mark.modules

DYNAMODB, LAMBDA, HTTP_API = (MODULES_DIR / name for name in ("dynamodb", "lambda", "http-api"))
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BOUNDARY = "arn:aws:iam::123456789012:policy/platform-boundary"
HANDLER = "visitor_counter.handler.handler"
INVOKE_ARN = (
    "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:eu-west-1:123456789012:function:plan-test-fn/invocations"
)
ROUTES = {"GET /visitors": {"function_name": "plan-test-fn", "invoke_arn": INVOKE_ARN}}


def function_inputs(package_path) -> dict:
    return {"function_name": "plan-test-opt", "package_path": package_path, "handler": HANDLER}


def planned(package_path: str) -> dict[str, Variant]:
    """This file's input sets (tests/modules/conftest.py plans every file's in one plan)."""
    lambda_opted = {
        **function_inputs(package_path),
        "architectures": ["arm64"],
        "tracing_mode": "Active",
        "permissions_boundary": BOUNDARY,
        "log_group_kms_key_arn": KEY,
    }
    api = {"name": "plan-test-opt", "routes": ROUTES}
    return {
        "lambda_default": (LAMBDA, function_inputs(package_path)),
        "lambda_opted": (LAMBDA, lambda_opted),
        "table_default": (DYNAMODB, {"name": "plan-test-opt"}),
        "table_opted": (DYNAMODB, {"name": "plan-test-opt", "kms_key_arn": KEY}),
        "api_default": (HTTP_API, api),
        "api_opted": (HTTP_API, {**api, "access_log_kms_key_arn": KEY}),
    }


@pytest.fixture
def lambda_default(plans):
    return plans["lambda_default"]


@pytest.fixture
def lambda_opted(plans):
    return plans["lambda_opted"]


def statements(summary) -> list[dict]:
    return json.loads(summary.values["aws_iam_role_policy.this"]["policy"])["Statement"]


def test_lambda_defaults_add_no_tracing_boundary_key_or_architecture(lambda_default):
    function = lambda_default.values["aws_lambda_function.this"]
    assert function.get("tracing_config", []) == []
    assert "architectures" not in function  # Lambda's default, left to AWS as before
    assert lambda_default.values["aws_iam_role.this"]["permissions_boundary"] is None
    assert lambda_default.values["aws_cloudwatch_log_group.this"]["kms_key_id"] is None
    assert [s["Sid"] for s in statements(lambda_default)] == ["WriteOwnLogs"]


def test_lambda_opt_ins_reach_function_role_and_log_group(lambda_opted):
    function = lambda_opted.values["aws_lambda_function.this"]
    assert function["architectures"] == ["arm64"]
    assert function["tracing_config"] == [{"mode": "Active"}]
    assert lambda_opted.values["aws_iam_role.this"]["permissions_boundary"] == BOUNDARY
    assert lambda_opted.values["aws_cloudwatch_log_group.this"]["kms_key_id"] == KEY


def test_tracing_allows_trace_writes_and_nothing_else_on_a_wildcard(lambda_opted):
    wildcard = [s for s in statements(lambda_opted) if s["Resource"] == ["*"]]
    assert wildcard == [
        {
            "Sid": "WriteTraces",
            "Effect": "Allow",
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Resource": ["*"],
        }
    ]


def test_lambda_new_outputs(lambda_default):
    assert lambda_default.outputs["role_name"] == "plan-test-opt"
    for name in ("qualified_arn", "version", "log_group_arn"):
        assert lambda_default.output_is_unknown(name), name


def test_table_key_is_the_aws_managed_one_unless_given(plans):
    default, opted = plans["table_default"], plans["table_opted"]
    table = "aws_dynamodb_table.this"
    assert default.values[table]["server_side_encryption"] == [{"enabled": True}]
    assert opted.values[table]["server_side_encryption"] == [{"enabled": True, "kms_key_arn": KEY}]


def test_access_logs_key_and_new_outputs_of_the_api(plans):
    default, opted = plans["api_default"], plans["api_opted"]
    logs = "aws_cloudwatch_log_group.access"
    assert default.values[logs]["kms_key_id"] is None
    assert opted.values[logs]["kms_key_id"] == KEY
    for name in ("api_arn", "stage_arn", "access_log_group_arn"):
        assert default.output_is_unknown(name), name


INVALID = {
    "table-key-alias": (DYNAMODB, {"kms_key_arn": "alias/aws/dynamodb"}, "kms_key_arn"),
    "table-key-id-only": (DYNAMODB, {"kms_key_arn": "1234abcd"}, "kms_key_arn"),
    "arch-unknown": (LAMBDA, {"architectures": ["amd64"]}, "architectures"),
    "arch-two": (LAMBDA, {"architectures": ["x86_64", "arm64"]}, "architectures"),
    "arch-empty": (LAMBDA, {"architectures": []}, "architectures"),
    "tracing-lowercase": (LAMBDA, {"tracing_mode": "active"}, "tracing_mode"),
    "boundary-role-arn": (
        LAMBDA,
        {"permissions_boundary": "arn:aws:iam::123456789012:role/x"},
        "permissions_boundary",
    ),
    "log-key-name": (LAMBDA, {"log_group_kms_key_arn": "my-key"}, "log_group_kms_key_arn"),
    "access-log-key-name": (HTTP_API, {"access_log_kms_key_arn": "k"}, "access_log_kms_key_arn"),
}


VALID = {
    "lambda-architecture-and-tracing": (
        LAMBDA,
        {"architectures": ["x86_64"], "tracing_mode": "PassThrough"},
    ),
    "lambda-aws-managed-boundary": (
        LAMBDA,
        {"permissions_boundary": "arn:aws:iam::aws:policy/PowerUserAccess"},
    ),
    "table-govcloud-key": (DYNAMODB, {"kms_key_arn": KEY.replace("aws:", "aws-us-gov:", 1)}),
}


@pytest.fixture(scope="module")
def outcomes(judged, package_path):
    """Every case judged by one plan of its module's variables: its errors, "" if it passes."""
    base = {
        DYNAMODB: {"name": "plan-test-opt"},
        LAMBDA: function_inputs(package_path),
        HTTP_API: {"name": "plan-test-opt", "routes": ROUTES},
    }
    cases = {case: (module, inputs) for case, (module, inputs, _) in INVALID.items()}
    judged_cases = {}
    for module in base:
        of_module = {
            case: {**base[module], **inputs}
            for case, (case_module, inputs) in {**cases, **VALID}.items()
            if case_module == module
        }
        judged_cases |= judged(module, of_module)
    return judged_cases


@pytest.mark.parametrize("case", INVALID)
def test_invalid_opt_in_is_rejected_naming_the_variable(outcomes, case):
    variable = INVALID[case][2]
    messages = validation_messages(outcomes[case])
    assert list(messages) == [variable]
    assert all(message.startswith(f"{variable} ") for message in messages[variable])


@pytest.mark.parametrize("case", VALID)
def test_valid_opt_ins_pass_validation(outcomes, case):
    assert outcomes[case] == ""
