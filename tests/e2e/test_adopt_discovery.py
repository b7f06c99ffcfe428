"""`counterstack adopt` on the local account, fast: what it lists, what it refuses, what it writes.

No Terraform runs here: the seed's objects are made with boto3 in this module's own local account
(the seed's real names), the CLI is run as a user runs it, and everything is removed in `finally`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from adopt_helpers import (
    API,
    FUNCTION,
    REGION,
    TABLE,
    build_by_hand,
    counterstack,
    inventory,
    put_count,
    remove_leftovers,
)

from counterstack.harness.target import Target
from counterstack.local.client import RemoteAccount
from counterstack.paths import REPO_ROOT
from counterstack.terragrunt.tree import copy_tree

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.local_only(
        reason="these adoption checks use the seed's real names (visitor-counter, "
        "visitorCounter) and an account of their own; the two adoption variants run on AWS"
    ),
]


@pytest.fixture
def clean(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The account is empty before and after each test (proved after)."""
    seed_account = request.getfixturevalue("seed_account")
    try:
        yield seed_account
    finally:
        remove_leftovers(seed_account.client)
    assert inventory(RemoteAccount(seed_account.endpoint, REGION)) == {}


def adopt(seed_account: Target, env_dir: Path, *args: str):
    return counterstack("adopt", str(env_dir), "--endpoint", seed_account.endpoint, *args)


def rows(result) -> dict[str, dict]:
    return {row["address"]: row for row in json.loads(result.stdout)["resources"]}


def written(env_dir: Path) -> dict[str, str]:
    return {
        p.relative_to(env_dir).as_posix(): p.read_text()
        for p in env_dir.rglob("*")
        if p.name in ("imports.tf", "adopted.hcl")
    }


def test_every_seed_object_is_listed_as_import_with_its_import_id(clean, package, tmp_path):
    hand = build_by_hand(clean.client, package)
    api, env_dir = hand.api_id, copy_tree(REPO_ROOT, tmp_path)
    result = adopt(clean, env_dir / "live" / "prod", "--json")
    assert result.returncode == 0, result.stderr
    found = rows(result)
    imports = {address: row["id"] for address, row in found.items() if row["action"] == "import"}
    integration = found['aws_apigatewayv2_integration.this["GET /visitors"]']["id"]
    route = found['aws_apigatewayv2_route.this["GET /visitors"]']["id"]
    assert integration.startswith(f"{api}/") and route.startswith(f"{api}/")
    assert imports == {
        "aws_dynamodb_table.this": TABLE,
        "aws_lambda_function.this": FUNCTION,
        "aws_cloudwatch_log_group.this": f"/aws/lambda/{FUNCTION}",
        "aws_iam_role.this": hand.role_name,
        "aws_iam_role_policy.this": f"{hand.role_name}:visitorCounterTableAccess",
        "aws_apigatewayv2_api.this": api,
        'aws_apigatewayv2_integration.this["GET /visitors"]': integration,
        'aws_apigatewayv2_route.this["GET /visitors"]': route,
        "aws_apigatewayv2_stage.this": f"{api}/prod",
        'aws_lambda_permission.this["GET /visitors"]': f"{FUNCTION}/{hand.statement_id}",
    }
    assert found["aws_cloudwatch_log_group.access"]["action"] == "create"
    left_alone = [row for row in found.values() if row["action"] == "left alone"]
    assert [row["id"] for row in left_alone] == [f"{hand.role_name}/{hand.managed_policy_arn}"]
    assert json.loads(result.stdout)["inputs"] == {
        "lambda": {
            "role_name": hand.role_name,
            "role_path": "/service-role/",
            "policy_name": "visitorCounterTableAccess",
        },
        "http-api": {
            "permission_statement_ids": {"GET /visitors": hand.statement_id},
            "permission_source_arns": {"GET /visitors": hand.source_arn},
        },
    }
    assert written(env_dir / "live" / "prod") == {}, "a dry run wrote files"


def test_write_follows_the_account_then_rewrite_changes_nothing(clean, package, tmp_path):
    hand = build_by_hand(clean.client, package)
    env_dir = copy_tree(REPO_ROOT, tmp_path) / "live" / "prod"
    first = adopt(clean, env_dir, "--write")
    assert first.returncode == 0, first.stderr
    files = written(env_dir)
    assert set(files) == {
        "adopted.hcl",
        "dynamodb/imports.tf",
        "lambda/imports.tf",
        "http-api/imports.tf",
    }
    assert "counterstack adopt --write" in files["adopted.hcl"].splitlines()[0]
    assert f'role_name   = "{hand.role_name}"' in files["adopted.hcl"]
    assert 'to = aws_iam_role.this\n  id = "' + hand.role_name in files["lambda/imports.tf"]
    # The access log group appears (as an apply would create it): the next write adds its import
    # block (a no-op for an object in the state), and only that; the one after changes nothing.
    clean.client("logs").create_log_group(logGroupName=f"/aws/apigateway/{API}")
    updated = adopt(clean, env_dir, "--write")
    assert updated.returncode == 0, updated.stderr
    assert updated.stderr.splitlines() == [f"wrote {env_dir / 'http-api' / 'imports.tf'}"]
    block = f'to = aws_cloudwatch_log_group.access\n  id = "/aws/apigateway/{API}"'
    assert block in written(env_dir)["http-api/imports.tf"]
    files = written(env_dir)
    again = adopt(clean, env_dir, "--write")
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stderr
    assert written(env_dir) == files


def test_nothing_is_written_when_nothing_exists(clean, tmp_path):
    env_dir = copy_tree(REPO_ROOT, tmp_path) / "live" / "prod"
    result = adopt(clean, env_dir, "--write", "--json")
    assert result.returncode == 0, result.stderr
    assert {row["action"] for row in json.loads(result.stdout)["resources"]} == {"create"}
    assert "nothing to adopt" in result.stderr
    assert written(env_dir) == {}


def test_two_apis_with_the_name_conflict_until_api_id_chooses(clean, package, tmp_path):
    hand = build_by_hand(clean.client, package)
    twin = clean.client("apigatewayv2").create_api(Name=API, ProtocolType="HTTP")["ApiId"]
    env_dir = copy_tree(REPO_ROOT, tmp_path) / "live" / "prod"
    refused = adopt(clean, env_dir, "--write")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1, refused.stderr  # one line, no traceback
    for api_id in (hand.api_id, twin):
        assert api_id in refused.stderr
        assert f"https://{api_id}.execute-api.{REGION}.amazonaws.com" in refused.stderr
    assert "--api-id" in refused.stderr
    assert written(env_dir) == {}, "a refused adoption wrote files"

    chosen = adopt(clean, env_dir, "--json", "--api-id", hand.api_id)
    assert chosen.returncode == 0, chosen.stderr
    assert rows(chosen)["aws_apigatewayv2_api.this"]["id"] == hand.api_id


def test_a_table_with_another_key_schema_is_a_conflict(clean, tmp_path):
    clean.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    result = adopt(clean, copy_tree(REPO_ROOT, tmp_path) / "live" / "prod", "--json")
    assert result.returncode == 2
    assert rows(result)["aws_dynamodb_table.this"]["action"] == "conflict"
    assert f"table {TABLE} has key schema pk (S, HASH)" in result.stderr
    assert "the module's is id (S, HASH)" in result.stderr


def test_a_role_other_functions_use_is_a_conflict(clean, package, tmp_path):
    hand = build_by_hand(clean.client, package)
    role_arn = clean.client("iam").get_role(RoleName=hand.role_name)["Role"]["Arn"]
    clean.client("lambda").create_function(
        FunctionName="visitorCounterReport",
        Runtime="python3.12",
        Role=role_arn,
        Handler="visitor_counter.handler.handler",
        Code={"ZipFile": Path(package).read_bytes()},
    )
    result = adopt(clean, copy_tree(REPO_ROOT, tmp_path) / "live" / "prod", "--json")
    assert result.returncode == 2
    assert rows(result)["aws_iam_role.this"]["action"] == "conflict"
    assert f"role {hand.role_name} is also the execution role of visitorCounterReport" in (
        result.stderr
    )


def test_a_count_kept_elsewhere_is_found_or_refused_until_the_options_choose(
    clean, package, tmp_path
):
    """adopt reads the table: the only number there is where the adopted function counts; two
    numbers are a refusal naming both and the options, and nothing is written until one is
    chosen."""
    build_by_hand(clean.client, package)
    env_dir = copy_tree(REPO_ROOT, tmp_path) / "live" / "prod"
    put_count(clean.client, 41, key="hits", attribute="n")
    found = adopt(clean, env_dir, "--write")
    assert found.returncode == 0, found.stderr
    rows_printed = [re.split(r"\s{2,}", line) for line in found.stdout.splitlines()]
    assert [
        "lambda",
        "counter",
        'visitor-counter: id = "hits", attribute n (41)',
        "counter",
        "the only number in visitor-counter",
    ] in rows_printed
    assert (
        'input lambda.environment_variables = {"COUNTER_KEY": "hits", "COUNTER_ATTRIBUTE": "n"}'
        in found.stdout.splitlines()
    )
    assert (
        'environment_variables = { "COUNTER_KEY" = "hits", "COUNTER_ATTRIBUTE" = "n" }'
        in written(env_dir)["adopted.hcl"]
    )

    env_dir = copy_tree(REPO_ROOT, tmp_path / "second") / "live" / "prod"
    clean.client("dynamodb").put_item(
        TableName=TABLE, Item={"id": {"S": "pages"}, "views": {"N": "7"}}
    )
    refused = adopt(clean, env_dir, "--write")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1, refused.stderr  # one line, no traceback
    for candidate in ('id = "hits", attribute n (41)', 'id = "pages", attribute views (7)'):
        assert candidate in refused.stderr
    assert "--counter-key ID --counter-attribute NAME" in refused.stderr
    assert written(env_dir) == {}, "a refused adoption wrote files"

    chosen = adopt(clean, env_dir, "--write", "--counter-key", "hits", "--counter-attribute", "n")
    assert chosen.returncode == 0, chosen.stderr
    assert '"COUNTER_KEY" = "hits"' in written(env_dir)["adopted.hcl"]
