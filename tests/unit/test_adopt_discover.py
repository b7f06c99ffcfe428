"""What `counterstack adopt` finds in an account, on canned answers: shapes a live account has
that the local one never produced (a `"*"` principal, another partition, a `$default` stage)."""

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from counterstack.adopt.discover import CONFLICT, CREATE, IMPORT, LEFT_ALONE, discover
from counterstack.adopt.environment import Environment, Unit

pytestmark = pytest.mark.unit

ACCOUNT = "123456789012"
API_ID = "a1b2c3"
FUNCTION = "visitorCounter"
ROLE = "visitorCounter-role-1"


class FakeClient:
    """A boto3 client stand-in: each operation answers what it was given (an exception is
    raised), and a paginator yields that answer as its one page."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers

    def __getattr__(self, operation: str):
        answer = self.answers[operation]

        def call(**_: Any) -> Any:
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call

    def get_paginator(self, operation: str) -> SimpleNamespace:
        return SimpleNamespace(paginate=lambda **_: [self.answers[operation]])


def not_found(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ResourceNotFoundException"}}, operation)


def http_api_unit(stage_name: str = "prod") -> Unit:
    route = {"function_name": FUNCTION, "invoke_arn": "arn"}
    inputs = {"name": "visitor-counter", "stage_name": stage_name, "routes": {"GET /x": route}}
    return Unit("http-api", "http-api", inputs)


def environment(*units: Unit) -> Environment:
    return Environment(Path("live/prod"), "prod", "eu-west-1", list(units))


def account(
    policy: list[dict] | None = None, stages: tuple[str, ...] = ("prod",), partition: str = "aws"
):
    """Clients of an account holding the seed's API (one route, `stages`), its function with
    `policy` as its resource policy, and the execution role with one managed policy."""
    statements = {"Policy": json.dumps({"Statement": policy or []})}
    clients = {
        "sts": FakeClient(
            get_caller_identity={"Account": ACCOUNT, "Arn": f"arn:{partition}:iam::{ACCOUNT}:u/x"}
        ),
        "apigatewayv2": FakeClient(
            get_apis={"Items": [{"ApiId": API_ID, "Name": "visitor-counter",
                                 "ProtocolType": "HTTP", "ApiEndpoint": "https://x"}]},
            get_routes={"Items": [{"RouteKey": "GET /x", "RouteId": "r1",
                                   "Target": "integrations/i1"}]},
            get_stages={"Items": [{"StageName": name} for name in stages]},
        ),
        "logs": FakeClient(describe_log_groups={"logGroups": []}),
        "lambda": FakeClient(
            get_policy=statements,
            get_function={"Configuration": {"Role": f"arn:{partition}:iam::{ACCOUNT}:role/{ROLE}"}},
            list_functions={"Functions": []},
        ),
        "iam": FakeClient(
            get_role={"Role": {"Arn": f"arn:{partition}:iam::{ACCOUNT}:role/{ROLE}", "Path": "/"}},
            list_role_policies={"PolicyNames": [FUNCTION]},
            list_attached_role_policies={"AttachedPolicies": [
                {"PolicyName": "Basic", "PolicyArn": f"arn:{partition}:iam::{ACCOUNT}:policy/Basic"}
            ]},
        ),
        "dynamodb": FakeClient(describe_table=not_found("DescribeTable")),
    }  # fmt: skip
    return clients.__getitem__


def statement(sid: str, principal: Any, source: str | None = None) -> dict:
    body = {"Sid": sid, "Effect": "Allow", "Principal": principal}
    if source:
        body["Condition"] = {"ArnLike": {"AWS:SourceArn": source}}
    return body


def rows(adoption) -> dict[str, Any]:
    return {row.address: row for row in adoption.resources}


def test_a_statement_whose_principal_is_a_string_or_a_list_is_read():
    source = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:{API_ID}/*/*"
    policy = [
        statement("public", "*"),
        statement(
            "ours", {"Service": ["apigateway.amazonaws.com", "events.amazonaws.com"]}, source
        ),
    ]
    found = rows(discover(environment(http_api_unit()), account(policy)))
    permission = found['aws_lambda_permission.this["GET /x"]']
    assert (permission.action, permission.id) == (IMPORT, f"{FUNCTION}/ours")
    assert found["permission public"].action == LEFT_ALONE


def test_region_and_partition_come_from_the_command_and_the_account():
    source = f"arn:aws-cn:execute-api:cn-north-1:{ACCOUNT}:{API_ID}/prod/GET/x"
    policy = [statement("ours", {"Service": "apigateway.amazonaws.com"}, source)]
    clients = account(policy, partition="aws-cn")
    adoption = discover(environment(http_api_unit()), clients, region="cn-north-1")
    permission = rows(adoption)['aws_lambda_permission.this["GET /x"]']
    assert (permission.action, permission.id) == (IMPORT, f"{FUNCTION}/ours")
    assert "permission_source_arns" not in adoption.inputs.get("http-api", {})  # the default form


def test_a_left_alone_managed_policy_shows_its_attachment_import_id():
    unit = Unit("lambda", "lambda", {"function_name": FUNCTION})
    found = rows(discover(environment(unit), account()))
    attachment = found["managed policy Basic"]
    assert attachment.action == LEFT_ALONE
    assert attachment.id == f"{ROLE}/arn:aws:iam::{ACCOUNT}:policy/Basic"


def test_an_api_served_on_its_default_stage_is_a_conflict_naming_the_stage_name_input():
    found = rows(discover(environment(http_api_unit("prod")), account(stages=("$default",))))
    stage = found["aws_apigatewayv2_stage.this"]
    assert stage.action == CONFLICT
    assert 'stage_name input to "$default"' in stage.reason
    assert "would change the URL" in stage.reason


def test_identity_inputs_are_per_route():
    """Two functions behind one API, each with the console's own statement: each route keeps its
    function's id and source, keyed by route (the module makes one permission per route)."""
    route = {"function_name": FUNCTION, "invoke_arn": "arn"}
    other = {"function_name": "visitorStats", "invoke_arn": "arn"}
    unit = Unit(
        "http-api",
        "http-api",
        {"name": "visitor-counter", "routes": {"GET /x": route, "GET /stats": other}},
    )
    arn = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:{API_ID}"
    policies = {
        FUNCTION: [statement("lambda-1", {"Service": "apigateway.amazonaws.com"}, f"{arn}/*/*/x")],
        "visitorStats": [
            statement("lambda-2", {"Service": "apigateway.amazonaws.com"}, f"{arn}/*")
        ],
    }
    clients = account()

    def per_function(service: str):
        if service != "lambda":
            return clients(service)
        return PolicyByFunction(policies)

    adoption = discover(environment(unit), per_function)
    assert adoption.inputs["http-api"] == {
        "permission_statement_ids": {"GET /x": "lambda-1", "GET /stats": "lambda-2"},
        "permission_source_arns": {"GET /x": f"{arn}/*/*/x", "GET /stats": f"{arn}/*"},
    }


def test_two_routes_of_one_function_never_adopt_the_same_statement():
    """One console statement for the whole API: the first route adopts it, the other gets a new
    permission of its own (one statement cannot be two Terraform resources)."""
    route = {"function_name": FUNCTION, "invoke_arn": "arn"}
    inputs = {"name": "visitor-counter", "routes": {"GET /a": route, "GET /b": route}}
    arn = f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:{API_ID}"
    policy = [statement("lambda-1", {"Service": "apigateway.amazonaws.com"}, f"{arn}/*/*")]
    adoption = discover(environment(Unit("http-api", "http-api", inputs)), account(policy))
    found = rows(adoption)
    assert found['aws_lambda_permission.this["GET /a"]'].action == IMPORT
    assert found['aws_lambda_permission.this["GET /b"]'].action == CREATE
    assert "permission lambda-1" not in found  # adopted, so not also "left alone"
    assert adoption.inputs["http-api"] == {
        "permission_statement_ids": {"GET /a": "lambda-1"},
        "permission_source_arns": {"GET /a": f"{arn}/*/*"},
    }


class PolicyByFunction:
    """Lambda's GetPolicy answering each function's own resource policy."""

    def __init__(self, policies: dict[str, list[dict]]) -> None:
        self.policies = policies

    def get_policy(self, FunctionName: str) -> dict:
        return {"Policy": json.dumps({"Statement": self.policies[FunctionName]})}
