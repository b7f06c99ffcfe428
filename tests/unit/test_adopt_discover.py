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


# --- where the adopted table keeps its count --------------------------------------------------

TABLE = "visitor-counter"
STRING_ID = {"AttributeName": "id", "AttributeType": "S"}


class FakeTable:
    """DynamoDB answering for one table keyed `id` (S) that holds `items`."""

    def __init__(self, items: list[dict]) -> None:
        self.items = items

    def describe_table(self, **_: Any) -> dict:
        key = {"AttributeName": "id", "KeyType": "HASH"}
        return {"Table": {"KeySchema": [key], "AttributeDefinitions": [STRING_ID]}}

    def get_item(self, TableName: str, Key: dict, **_: Any) -> dict:
        assert TableName == TABLE
        found = [item for item in self.items if item["id"] == Key["id"]]
        return {"Item": found[0]} if found else {}

    def scan(self, TableName: str, Limit: int, **_: Any) -> dict:
        assert TableName == TABLE
        page = {"Items": self.items[:Limit]}
        if len(self.items) > Limit:
            page["LastEvaluatedKey"] = {"id": self.items[Limit - 1]["id"]}
        return page


def item(key: str, **attributes: Any) -> dict:
    """An item as DynamoDB answers it: ints are numbers, anything else a string."""
    return {"id": {"S": key}} | {
        name: {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
        for name, value in attributes.items()
    }


def counter_adoption(items: list[dict], variables: dict | None = None, **options: Any):
    """discover() of the seed's table and function, the table holding `items` and the live
    function's environment `variables`."""
    clients = account()
    configuration = {"Role": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"}
    if variables is not None:
        configuration["Environment"] = {"Variables": variables}
    lam = FakeClient(
        get_function={"Configuration": configuration}, list_functions={"Functions": []}
    )
    fakes = {"dynamodb": FakeTable(items), "lambda": lam}
    units = (
        Unit("dynamodb", "dynamodb", {"name": TABLE}),
        Unit("lambda", "lambda", {"function_name": FUNCTION}),
    )
    return discover(environment(*units), lambda s: fakes.get(s) or clients(s), **options)


def counter_row(adoption):
    return rows(adoption)["counter"]


def test_the_seeds_item_with_a_number_is_where_counting_goes_on():
    adoption = counter_adoption([item("visitors", count=41), item("hits", n=7)])
    row = counter_row(adoption)
    assert (row.unit, row.action) == ("lambda", "counter")
    assert row.id == f'{TABLE}: id = "visitors", attribute count (41)'
    assert "environment_variables" not in adoption.inputs.get("lambda", {})


def test_the_only_number_in_the_table_becomes_the_functions_counter():
    """A console function counted in id = "hits", attribute n: the adopted one goes on there."""
    adoption = counter_adoption([item("hits", n=41, note="by hand")])
    assert counter_row(adoption).id == f'{TABLE}: id = "hits", attribute n (41)'
    assert adoption.inputs["lambda"]["environment_variables"] == {
        "COUNTER_KEY": "hits",
        "COUNTER_ATTRIBUTE": "n",
    }
    assert adoption.conflicts == []


def test_a_table_of_25_items_is_read_whole_and_26_are_too_many():
    labels = [item(f"page{i:02}", title="t") for i in range(24)]
    found = counter_adoption([*labels, item("hits", n=41)])
    assert counter_row(found).id == f'{TABLE}: id = "hits", attribute n (41)'
    (refused,) = counter_adoption([*labels, item("x", title="t"), item("hits", n=41)]).conflicts
    assert "holds more than 25 items" in refused.reason


def test_an_empty_table_counts_from_one_in_the_default_place():
    adoption = counter_adoption([])
    assert counter_row(adoption).id == f'{TABLE}: id = "visitors", attribute count'
    assert adoption.conflicts == []
    assert "environment_variables" not in adoption.inputs["lambda"]


@pytest.mark.parametrize(
    ("items", "found"),
    [
        ([item("hits", n=41), item("pages", n=9)], 'holds 2 numbers: id = "hits", attribute n'),
        ([item("hits", n=41, m=2)], 'holds 2 numbers: id = "hits", attribute m (2); id = "hits"'),
        ([item("visitors", count="41")], "holds no numbers; name"),
        ([item(f"k{i:02}", n=i) for i in range(26)], "holds more than 25 items: "),
    ],
    ids=["two items", "two attributes", "no number", "too many items"],
)
def test_a_count_that_cannot_be_told_is_a_conflict_naming_candidates_and_options(items, found):
    adoption = counter_adoption(items)
    (conflict,) = adoption.conflicts
    assert (conflict.unit, conflict.address) == ("lambda", "counter")
    assert conflict.reason.startswith(
        f'table {TABLE} has no item id = "visitors" with a numeric count and '
    )
    assert found in conflict.reason
    assert conflict.reason.endswith(
        "name the item and attribute that hold the count with "
        "--counter-key ID --counter-attribute NAME"
    )
    assert "environment_variables" not in adoption.inputs.get("lambda", {})


def test_the_options_choose_the_counter_and_refuse_one_that_holds_no_whole_number():
    items = [item("hits", n=41), item("pages", n=9, label="x")]
    chosen = counter_adoption(items, counter=("pages", "n"))
    assert counter_row(chosen).id == f'{TABLE}: id = "pages", attribute n (9)'
    assert chosen.inputs["lambda"]["environment_variables"]["COUNTER_KEY"] == "pages"
    fresh = counter_adoption(items, counter=("new", "total"))  # not there yet: starts at 1
    assert counter_row(fresh).id == f'{TABLE}: id = "new", attribute total'
    (refused,) = counter_adoption(items, counter=("pages", "label")).conflicts
    assert 'id = "pages", attribute label holds a value of type S, not a whole number' in (
        refused.reason
    )


def test_a_function_adopted_before_keeps_the_counter_its_environment_names():
    """Re-running `adopt --write` after the apply finds the place the operator chose again."""
    items = [item("hits", n=42), item("pages", n=9)]
    adoption = counter_adoption(items, {"TABLE_NAME": TABLE, "COUNTER_KEY": "hits",
                                        "COUNTER_ATTRIBUTE": "n"})  # fmt: skip
    assert adoption.conflicts == []
    assert counter_row(adoption).reason == f"the environment of {FUNCTION}"
    assert adoption.inputs["lambda"]["environment_variables"] == {
        "COUNTER_KEY": "hits",
        "COUNTER_ATTRIBUTE": "n",
    }
