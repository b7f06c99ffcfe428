"""Security properties of whole stacks, read from their plans: least privilege, CORS, caps, data.

Two stacks, each planned once per run (see conftest): examples/complete, and the prod units of
live/ composed into one root exactly as their terragrunt.hcl inputs and live/prod/env.hcl
configure the modules. Every test runs against both.
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from counterstack.harness.plan import COPY_IGNORE, PlanSummary
from counterstack.paths import EXAMPLE_COMPLETE, LIVE_DIR, REPO_ROOT
from counterstack.seed import SEED_ORIGINS
from counterstack.terragrunt.compose import compose_environment
from counterstack.terragrunt.hcl import block, literal, load_hcl
from counterstack.terragrunt.tree import copy_tree, with_alarm_subscriber

pytestmark = pytest.mark.modules

TABLE = "module.dynamodb.aws_dynamodb_table.this"  # imported (see conftest)
API = "module.http_api.aws_apigatewayv2_api.this"  # imported (see conftest)
FUNCTION = "module.lambda.aws_lambda_function.this"
ROLE = "module.lambda.aws_iam_role.this"
POLICY = "module.lambda.aws_iam_role_policy.this"
LOG_GROUP = "module.lambda.aws_cloudwatch_log_group.this"
STAGE = "module.http_api.aws_apigatewayv2_stage.this"
ACCESS_LOG_GROUP = "module.http_api.aws_cloudwatch_log_group.access"
IDENTITY = "module.lambda.data.aws_caller_identity.current"
KEY_POLICY = "module.alarms.aws_kms_key.this[0].policy"  # in a key policy, Resource "*" is the key
TOPIC_POLICY = "module.alarms.aws_sns_topic.this.policy"
EXAMPLE_PREFIX = "policytest"
EXAMPLE_RESERVED_CONCURRENCY = 5
PROD_ENV = LIVE_DIR / "prod"


@dataclass(frozen=True)
class Expected:
    """What the stack's configuration asks for, from its own sources."""

    region: str
    table: str
    function: str
    api: str
    stage: str
    origins: tuple[str, ...]
    deletion_protection: bool
    reserved_concurrency: int | None  # None: no reservation, the stage throttling caps
    log_retention_days: int | None  # None: the module's default, not pinned by the stack
    throttling: tuple[int, int] | None  # (burst, rate); None: not pinned by the stack


def prod_expected() -> Expected:
    """live/prod/env.hcl, the values the prod units pass to the modules."""
    env = block(load_hcl(PROD_ENV / "env.hcl"), "locals")

    def value(key: str) -> Any:
        raw = env[key]
        return [literal(item) for item in raw] if isinstance(raw, list) else literal(raw)

    return Expected(
        region=value("aws_region"),
        table=value("table_name"),
        function=value("function_name"),
        api=value("api_name"),
        stage=value("stage_name"),
        origins=tuple(value("cors_allow_origins")),
        deletion_protection=value("deletion_protection"),
        reserved_concurrency=value("reserved_concurrent_executions"),
        log_retention_days=value("log_retention_days"),
        throttling=(value("throttling_burst_limit"), value("throttling_rate_limit")),
    )


EXAMPLE = Expected(
    region="eu-west-1",  # the example's var.region default
    table=f"{EXAMPLE_PREFIX}-visitors",
    function=f"{EXAMPLE_PREFIX}-visitor-counter",
    api=f"{EXAMPLE_PREFIX}-visitors-api",
    stage="prod",
    origins=tuple(SEED_ORIGINS),
    deletion_protection=False,
    reserved_concurrency=EXAMPLE_RESERVED_CONCURRENCY,
    log_retention_days=None,
    throttling=None,
)


def test_prod_expectations_are_the_seed_values():
    """The env.hcl reader agrees with the documented prod values, so the prod checks check prod."""
    assert prod_expected() == Expected(
        region="eu-west-1",
        table="visitor-counter",
        function="visitorCounter",
        api="visitor-counter",
        stage="prod",
        origins=tuple(SEED_ORIGINS),
        deletion_protection=True,
        reserved_concurrency=None,  # a new account (quota 10) refuses any reservation
        log_retention_days=30,
        throttling=(20, 10),
    )


def copy_root(source: Path, target: Path) -> Path:
    """A private copy of a root module; plan_summary keeps its place in the layout."""
    shutil.copytree(source, target, ignore=COPY_IGNORE)
    return target


@pytest.fixture(scope="module", params=["examples-complete", "live-prod"])
def stack(request, stack_plan, package_path) -> tuple[PlanSummary, Expected]:
    if request.param == "examples-complete":
        plan = stack_plan(
            "security-examples-complete",
            lambda folder: copy_root(EXAMPLE_COMPLETE, folder / "examples" / "complete"),
            table=EXAMPLE.table,
            api=EXAMPLE.api,
            region=EXAMPLE.region,
            name_prefix=EXAMPLE_PREFIX,
            package_path=package_path,
            reserved_concurrent_executions=EXAMPLE_RESERVED_CONCURRENCY,
        )
        return plan, EXAMPLE

    expected = prod_expected()

    def compose(folder: Path) -> Path:
        root = folder / "live" / "prod"
        root.mkdir(parents=True)
        # A copy whose prod alarms tell someone: the real prod refuses to plan with nobody to tell.
        tree = with_alarm_subscriber(copy_tree(REPO_ROOT, folder / "tree"), "alarms@example.com")
        config = compose_environment(
            tree / "live" / "prod", locals_values={"package_path": package_path}, root=tree
        )
        (root / "main.tf.json").write_text(json.dumps(config, indent=2))
        return root

    plan = stack_plan(
        "security-live-prod",
        compose,
        table=expected.table,
        api=expected.api,
        region=expected.region,
    )
    return plan, expected


def statements(document: str) -> list[dict[str, Any]]:
    parsed = json.loads(document)
    assert parsed["Version"] == "2012-10-17"
    found = parsed["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def iam_documents(plan: PlanSummary) -> dict[str, str]:
    """Every IAM policy document in the plan, by `address.attribute`, unknown ones failing."""
    documents = {}
    for address, values in plan.values.items():
        for attribute in ("policy", "assume_role_policy"):
            if values.get(attribute):
                documents[f"{address}.{attribute}"] = values[attribute]
            elif address in plan.resource_changes:
                assert not plan.is_unknown(address, attribute), f"{address}.{attribute} unknown"
        for index, inline in enumerate(values.get("inline_policy") or []):
            if inline.get("policy"):
                documents[f"{address}.inline_policy[{index}]"] = inline["policy"]
    return documents


def log_group_arn(plan: PlanSummary, expected: Expected, name: str) -> str:
    account = plan.data[IDENTITY]["account_id"]
    return f"arn:aws:logs:{expected.region}:{account}:log-group:{name}"


def test_plan_imports_only_the_seeded_table_and_api_and_creates_the_rest(stack):
    plan, _ = stack
    imported = {
        address
        for address, change in plan.resource_changes.items()
        if change["change"].get("importing")
    }
    assert imported == {TABLE, API}
    for address, change in plan.resource_changes.items():
        if address not in imported:
            assert change["change"]["actions"] == ["create"], address


def test_function_policy_is_update_item_on_the_table_and_writes_to_its_own_log_group(stack):
    plan, expected = stack
    table_arn = plan.values[TABLE]["arn"]
    assert table_arn.endswith(f":table/{expected.table}")
    log_group = f"/aws/lambda/{expected.function}"
    assert plan.values[LOG_GROUP]["name"] == log_group

    found = statements(plan.values[POLICY]["policy"])

    allowed = sorted(
        (s["Effect"], tuple(sorted(as_list(s["Action"]))), tuple(as_list(s["Resource"])))
        for s in found
    )
    assert allowed == [
        ("Allow", ("dynamodb:UpdateItem",), (table_arn,)),
        (
            "Allow",
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            (f"{log_group_arn(plan, expected, log_group)}:*",),
        ),
    ]
    for statement in found:
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource"}, statement
    assert plan.values[POLICY]["name"] == expected.function
    assert plan.references(POLICY, "role") == ["aws_iam_role.this.id", "aws_iam_role.this"]


def test_no_wildcard_action_resource_or_principal_in_any_iam_policy(stack):
    plan, expected = stack
    documents = iam_documents(plan)
    assert set(documents) == {
        f"{ROLE}.assume_role_policy", f"{POLICY}.policy", KEY_POLICY, TOPIC_POLICY,
    }  # fmt: skip
    own_log_streams = f"{log_group_arn(plan, expected, f'/aws/lambda/{expected.function}')}:*"
    for where, document in documents.items():
        for statement in statements(document):
            assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement), where
            for action in as_list(statement.get("Action", [])):
                assert "*" not in action, f"{where}: wildcard action {action!r}"
            for resource in as_list(statement.get("Resource", [])):
                # The wildcards allowed: the log streams of the function's own log group, and the
                # key a key policy is attached to.
                allowed = own_log_streams if where != KEY_POLICY else "*"
                assert "*" not in resource or resource == allowed, f"{where}: {resource!r}"
            principal = statement.get("Principal", {})
            principals = [p for v in principal.values() for p in as_list(v)]
            assert principal != "*" and "*" not in principals, f"{where}: wildcard principal"
    assert not plan.values[ROLE].get("managed_policy_arns")
    for kind in ("aws_iam_role_policy_attachment", "aws_iam_policy", "aws_iam_policy_attachment"):
        assert plan.counts.get(kind, 0) == 0, kind


def test_only_lambda_may_assume_the_role(stack):
    plan, expected = stack
    assert plan.values[ROLE]["name"] == expected.function
    assert statements(plan.values[ROLE]["assume_role_policy"]) == [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]
    assert plan.references(FUNCTION, "role") == ["aws_iam_role.this.arn", "aws_iam_role.this"]


def test_cors_allows_exactly_the_configured_origins(stack):
    plan, expected = stack
    api = plan.values[API]
    assert api["name"] == expected.api
    (cors,) = api["cors_configuration"]
    assert sorted(cors["allow_origins"]) == sorted(expected.origins)
    assert "*" not in cors["allow_origins"]
    assert sorted(cors["allow_methods"]) == ["GET", "OPTIONS"]
    assert cors["allow_headers"] == ["content-type"]
    assert not cors.get("allow_credentials")


def test_stage_is_throttled_and_writes_access_logs(stack):
    plan, expected = stack
    stage = plan.values[STAGE]
    assert stage["name"] == expected.stage
    (settings,) = stage["default_route_settings"]
    assert settings["throttling_burst_limit"] > 0
    assert settings["throttling_rate_limit"] > 0
    if expected.throttling is not None:
        throttling = (settings["throttling_burst_limit"], settings["throttling_rate_limit"])
        assert throttling == expected.throttling
    (access_log,) = stage["access_log_settings"]
    fields = json.loads(access_log["format"])
    assert {"requestId", "sourceIp", "routeKey", "status"} <= set(fields)
    # The log group is created by the same plan: its ARN is known after apply, its wiring now.
    assert plan.is_unknown(STAGE, "access_log_settings", 0, "destination_arn")
    destination = plan.references(STAGE, "access_log_settings", 0, "destination_arn")
    assert destination == ["aws_cloudwatch_log_group.access.arn", "aws_cloudwatch_log_group.access"]
    access_logs = plan.values[ACCESS_LOG_GROUP]
    assert access_logs["name"] == f"/aws/apigateway/{expected.api}"
    assert access_logs["retention_in_days"] > 0
    assert plan.values[LOG_GROUP]["retention_in_days"] > 0
    if expected.log_retention_days is not None:
        assert access_logs["retention_in_days"] == expected.log_retention_days
        assert plan.values[LOG_GROUP]["retention_in_days"] == expected.log_retention_days


def test_table_has_point_in_time_recovery_and_encryption(stack):
    plan, expected = stack
    table = plan.values[TABLE]
    assert table["name"] == expected.table
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["enabled"] is True
    assert table["deletion_protection_enabled"] is expected.deletion_protection


def test_function_concurrency_is_capped(stack):
    """Reserved where the stack asks; otherwise unreserved, with stage limits the stack pins."""
    plan, expected = stack
    function = plan.values[FUNCTION]
    assert function["function_name"] == expected.function
    if expected.reserved_concurrency is None:
        assert function["reserved_concurrent_executions"] == -1
        assert expected.throttling is not None  # checked against the stage by the test above
    else:
        assert function["reserved_concurrent_executions"] == expected.reserved_concurrency > 0


def test_only_this_api_may_invoke_the_function(stack):
    plan, expected = stack
    execution_arn = plan.values[API]["execution_arn"]
    account = plan.data[IDENTITY]["account_id"]
    api_id = plan.values[API]["id"]
    assert execution_arn == f"arn:aws:execute-api:{expected.region}:{account}:{api_id}"
    permissions = {a: v for a, v in plan.values.items() if ".aws_lambda_permission." in a}
    assert list(permissions) == ['module.http_api.aws_lambda_permission.this["GET /visitors"]']
    for permission in permissions.values():
        assert permission["principal"] == "apigateway.amazonaws.com"
        assert permission["action"] == "lambda:InvokeFunction"
        assert permission["function_name"] == expected.function
        # The route only: its stage, method and path, not every stage and route of the API.
        assert permission["source_arn"] == f"{execution_arn}/prod/GET/visitors"
        assert not permission.get("source_account")
        assert not permission.get("principal_org_id")
