"""modules/lambda: given a zip and a policy, the plan holds the function, role, policy, logs."""

import base64
import hashlib
import json
from pathlib import Path

import pytest

from counterstack.harness.plan import validation_messages
from counterstack.harness.plan_batch import Variant
from counterstack.paths import MODULES_DIR

pytestmark = pytest.mark.modules

LAMBDA = MODULES_DIR / "lambda"
FUNCTION = "aws_lambda_function.this"
ROLE = "aws_iam_role.this"
POLICY = "aws_iam_role_policy.this"
LOG_GROUP = "aws_cloudwatch_log_group.this"
ACCOUNT = "123456789012"  # moto's account
TABLE_ARN = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/plan-test-visitors"
HANDLER = "visitor_counter.handler.handler"


def planned(package_path: str) -> dict[str, Variant]:
    """This file's input sets (tests/modules/conftest.py plans every file's in one plan)."""
    return {
        "minimal": (
            LAMBDA,
            dict(
                function_name="plan-test-fn",
                package_path=package_path,
                handler=HANDLER,
                policy_statements=[{"actions": ["dynamodb:UpdateItem"], "resources": [TABLE_ARN]}],
                environment_variables={"TABLE_NAME": "plan-test-visitors"},
                reserved_concurrent_executions=5,
            ),
        ),
        "adopted": (
            LAMBDA,
            dict(
                function_name="plan-test-fn",
                package_path=package_path,
                handler=HANDLER,
                role_name="plan-test-fn-role-ab12cd34",
                role_path="/service-role/",
                policy_name="plan-test-dynamodb",
            ),
        ),
        "bare": (
            LAMBDA,
            dict(
                function_name="plan-test-bare",
                package_path=package_path,
                handler=HANDLER,
                runtime="python3.13",
                log_retention_days=3,
                reserved_concurrent_executions=None,
                timeout=25,
            ),
        ),
    }


@pytest.fixture
def minimal(plans, package_path):
    return plans["minimal"]


def test_plan_holds_function_role_policy_and_log_group(minimal):
    assert minimal.counts == {
        "resources": 4,
        "aws_lambda_function": 1,
        "aws_iam_role": 1,
        "aws_iam_role_policy": 1,
        "aws_cloudwatch_log_group": 1,
    }


def test_every_name_derives_from_function_name(minimal):
    assert minimal.values[FUNCTION]["function_name"] == "plan-test-fn"
    assert minimal.values[ROLE]["name"] == "plan-test-fn"
    assert minimal.values[POLICY]["name"] == "plan-test-fn"
    assert minimal.values[LOG_GROUP]["name"] == "/aws/lambda/plan-test-fn"


def test_role_trusts_only_lambda(minimal):
    trust = json.loads(minimal.values[ROLE]["assume_role_policy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]


def test_policy_is_known_at_plan_time_and_exactly_what_was_asked(minimal):
    policy = json.loads(minimal.values[POLICY]["policy"])
    log_group_arn = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/plan-test-fn"
    allowed = [(s["Effect"], s["Action"], s["Resource"]) for s in policy["Statement"]]
    assert allowed == [
        ("Allow", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{log_group_arn}:*"]),
        ("Allow", ["dynamodb:UpdateItem"], [TABLE_ARN]),
    ]


def test_no_wildcard_unless_the_caller_passes_one(minimal):
    policy = json.loads(minimal.values[POLICY]["policy"])
    for statement in policy["Statement"]:
        assert "*" not in statement["Action"]
        assert "*" not in statement["Resource"]
        assert all(":" in action and not action.endswith(":*") for action in statement["Action"])


def test_policy_is_attached_to_the_role(minimal):
    assert minimal.references(POLICY, "role") == ["aws_iam_role.this.id", "aws_iam_role.this"]
    assert minimal.references(FUNCTION, "role") == ["aws_iam_role.this.arn", "aws_iam_role.this"]


def test_function_settings(minimal, package_path):
    function = minimal.values[FUNCTION]
    digest = base64.b64encode(hashlib.sha256(Path(package_path).read_bytes()).digest()).decode()
    assert function["filename"] == package_path
    assert function["source_code_hash"] == digest
    assert function["handler"] == HANDLER
    assert function["runtime"] == "python3.12"
    assert function["timeout"] == 10
    assert function["memory_size"] == 128
    assert function["reserved_concurrent_executions"] == 5
    assert function["environment"] == [{"variables": {"TABLE_NAME": "plan-test-visitors"}}]


def test_log_group_has_retention_and_exists_before_the_function(minimal):
    assert minimal.values[LOG_GROUP]["retention_in_days"] == 14
    depends_on = _depends_on(minimal, FUNCTION)
    assert "aws_cloudwatch_log_group.this" in depends_on
    assert "aws_iam_role_policy.this" in depends_on


def _depends_on(summary, address):
    for resource in summary.configuration["root_module"]["resources"]:
        if resource["address"] == address:
            return resource.get("depends_on", [])
    raise KeyError(address)


def test_outputs(minimal):
    assert minimal.outputs["function_name"] == "plan-test-fn"
    assert minimal.outputs["log_group_name"] == "/aws/lambda/plan-test-fn"
    for name in ("arn", "invoke_arn", "role_arn"):
        assert minimal.output_is_unknown(name)
    assert minimal.is_unknown(FUNCTION, "invoke_arn")


def test_the_timeout_output_is_the_functions_so_alarms_can_follow_it(plans):
    """The alarms module's Duration alarm fires near the timeout: it reads this output."""
    assert plans["minimal"].outputs["timeout"] == 10
    assert plans["bare"].outputs["timeout"] == 25


def test_adopted_role_keeps_its_name_path_and_policy_name(plans, package_path):
    """An existing console role is planned under its own identity, never renamed (replaced)."""
    summary = plans["adopted"]
    assert summary.values[ROLE]["name"] == "plan-test-fn-role-ab12cd34"
    assert summary.values[ROLE]["path"] == "/service-role/"
    assert summary.values[POLICY]["name"] == "plan-test-dynamodb"
    assert summary.values[FUNCTION]["function_name"] == "plan-test-fn"


def test_role_path_defaults_to_the_root_path(minimal):
    assert minimal.values[ROLE]["path"] == "/"


def test_no_environment_block_without_variables(plans, package_path):
    summary = plans["bare"]
    assert summary.values[FUNCTION]["environment"] == []
    assert summary.values[FUNCTION]["runtime"] == "python3.13"
    assert summary.values[FUNCTION]["reserved_concurrent_executions"] == -1
    assert summary.values[LOG_GROUP]["retention_in_days"] == 3
    policy = json.loads(summary.values[POLICY]["policy"])
    assert [s["Action"] for s in policy["Statement"]] == [
        ["logs:CreateLogStream", "logs:PutLogEvents"]
    ]


INVALID = {
    "name-empty": ({"function_name": ""}, "function_name"),
    "name-too-long": ({"function_name": "f" * 65}, "function_name"),
    "name-dot": ({"function_name": "visitor.counter"}, "function_name"),
    "package-not-zip": ({"package_path": "TMP/visitor_counter.tar.gz"}, "package_path"),
    "package-missing": ({"package_path": "/nonexistent/visitor_counter.zip"}, "package_path"),
    "handler-no-function": ({"handler": "handler"}, "handler"),
    "handler-space": ({"handler": "visitor counter.handler"}, "handler"),
    "runtime-unknown": ({"runtime": "python2.7"}, "runtime"),
    "runtime-node": ({"runtime": "nodejs20.x"}, "runtime"),
    "env-key-digit": ({"environment_variables": {"1BAD": "x"}}, "environment_variables"),
    "env-key-reserved": ({"environment_variables": {"AWS_REGION": "x"}}, "environment_variables"),
    "policy-no-actions": (
        {"policy_statements": [{"actions": [], "resources": [TABLE_ARN]}]},
        "policy_statements",
    ),
    "policy-bad-action": (
        {"policy_statements": [{"actions": ["UpdateItem"], "resources": [TABLE_ARN]}]},
        "policy_statements",
    ),
    "policy-bad-resource": (
        {"policy_statements": [{"actions": ["dynamodb:UpdateItem"], "resources": ["table"]}]},
        "policy_statements",
    ),
    "timeout-zero": ({"timeout": 0}, "timeout"),
    "timeout-over": ({"timeout": 901}, "timeout"),
    "timeout-fraction": ({"timeout": 2.5}, "timeout"),
    "memory-low": ({"memory_size": 127}, "memory_size"),
    "memory-high": ({"memory_size": 10241}, "memory_size"),
    "concurrency-negative": (
        {"reserved_concurrent_executions": -2},
        "reserved_concurrent_executions",
    ),
    "retention-zero": ({"log_retention_days": 0}, "log_retention_days"),
    "retention-unaccepted": ({"log_retention_days": 10}, "log_retention_days"),
    "tag-key-too-long": ({"tags": {"k" * 129: "v"}}, "tags"),
    "role-name-space": ({"role_name": "visitor role"}, "role_name"),
    "role-name-too-long": ({"role_name": "r" * 65}, "role_name"),
    "role-path-no-slash": ({"role_path": "service-role"}, "role_path"),
    "role-path-no-trailing-slash": ({"role_path": "/service-role"}, "role_path"),
    "policy-name-slash": ({"policy_name": "a/b"}, "policy_name"),
}


@pytest.fixture(scope="module")
def outcomes(judged, package_path, tmp_path_factory):
    """Every case judged by one plan of the module's variables: its errors, "" if it passes."""
    valid = {"function_name": "plan-test-fn", "package_path": package_path, "handler": HANDLER}
    not_a_zip = tmp_path_factory.mktemp("not-a-zip") / "visitor_counter.tar.gz"
    not_a_zip.write_bytes(b"")  # a file that exists, not a zip
    cases = {}
    for case, (variables, _) in INVALID.items():
        if variables.get("package_path", "").startswith("TMP/"):
            variables = {"package_path": str(not_a_zip)}
        cases[case] = {**valid, **variables}
    edges = {
        "function_name": "F" * 64,
        "package_path": package_path,
        "handler": "a.b",
        "timeout": 900,
        "memory_size": 10240,
        "reserved_concurrent_executions": 0,
        "log_retention_days": 3653,
        "policy_statements": [{"actions": ["*"], "resources": ["*"]}],
    }
    return judged(LAMBDA, {**cases, "valid-edges": edges})


@pytest.mark.parametrize("case", INVALID)
def test_invalid_input_is_rejected_naming_the_variable(outcomes, case):
    variable = INVALID[case][1]
    messages = validation_messages(outcomes[case])
    assert list(messages) == [variable]
    assert all(message.startswith(f"{variable} ") for message in messages[variable])


def test_valid_edges_pass_validation(outcomes):
    assert outcomes["valid-edges"] == ""
