"""Issue 11, end to end, variant (b): a stack made by hand with console-style names, holding
count 41 in a place of its own (item id = "hits", attribute n), is adopted into live/prod with
nothing replaced and goes on counting there (`adopt_helpers.adopt_and_prove` says how);
test_adopt_flat_root.py is variant (a)."""

from __future__ import annotations

import json

import pytest
from adopt_helpers import (
    adopt_and_prove,
    build_by_hand,
    get_visitors,
    put_count,
    teardown,
)

from counterstack.harness.inventory import list_resources
from counterstack.harness.mark import mark_of
from counterstack.paths import REPO_ROOT
from counterstack.terragrunt.tree import copy_tree, with_alarm_subscriber

# One variant a module: xdist runs the two on different workers.
pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MADE_BY_HAND = ("dynamodb table", "iam role", "lambda function", "log group", "http api")


def test_console_made_stack_is_adopted_keeping_count_and_api(
    seed_account, seed_tf, seed_names, package, tmp_path
):
    # Prod refuses to plan with nobody to tell its alarms: the copy names someone.
    tree = with_alarm_subscriber(copy_tree(REPO_ROOT, tmp_path / "tree"), "alarms@example.com")
    hand = None
    left: dict = {}
    try:
        hand = build_by_hand(seed_account.client, package, seed_names)
        if seed_names.mark:  # on an account it shares: the run's mark, so a crash gets swept
            made = list_resources(seed_account.client, seed_names.prefix)
            marks = {(r.kind, mark_of(seed_account.client, r)) for r in made}
            assert marks == {(kind, seed_names.mark) for kind in MADE_BY_HAND}, marks
        assert get_visitors(seed_account, hand.api_id).json() == {"count": 1}  # it serves as built
        # The hand-made function counted in its own place: adopt finds it (the only number in the
        # table), the adopted function goes on counting there (adopt_and_prove: 41, then 42).
        put_count(seed_account.client, 41, seed_names, key="hits", attribute="n")
        summary = adopt_and_prove(seed_tf, tree, hand.api_id, package, seed_names)
        assert summary.endswith("0 to destroy")
        function = seed_account.client("lambda").get_function(FunctionName=seed_names.function)
        variables = function["Configuration"]["Environment"]["Variables"]
        assert variables == {
            "TABLE_NAME": seed_names.table,
            "COUNTER_KEY": "hits",
            "COUNTER_ATTRIBUTE": "n",
        }
        item = seed_account.client("dynamodb").get_item(
            TableName=seed_names.table, Key={"id": {"S": "hits"}}, ConsistentRead=True
        )["Item"]
        assert item["n"] == {"N": "42"}
        role = seed_account.client("iam").get_role(RoleName=hand.role_name)["Role"]
        assert role["Path"] == "/service-role/"
        attached = seed_account.client("iam").list_attached_role_policies(RoleName=hand.role_name)
        assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [
            hand.managed_policy_arn
        ], "the console's managed policy must be left attached"
        statements = json.loads(
            seed_account.client("lambda").get_policy(FunctionName=seed_names.function)["Policy"]
        )
        assert [s["Sid"] for s in statements["Statement"]] == [hand.statement_id]
        table = seed_account.client("dynamodb").describe_table(TableName=seed_names.table)["Table"]
        assert table["TableStatus"] == "ACTIVE"
    finally:
        left = teardown(seed_tf, tree / "composed" / "prod", seed_names)
    assert left == {}, f"left behind after destroy: {left}"
