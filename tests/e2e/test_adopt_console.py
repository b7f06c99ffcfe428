"""Issue 11, end to end, variant (b): a stack made by hand with console-style names, holding
count 41, is adopted into live/prod with nothing replaced (`adopt_helpers.adopt_and_prove` says
how); test_adopt_flat_root.py is variant (a)."""

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

from counterstack.paths import REPO_ROOT
from counterstack.terragrunt.tree import copy_tree, with_alarm_subscriber

# One variant a module: xdist runs the two on different workers.
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_console_made_stack_is_adopted_keeping_count_and_api(
    seed_account, seed_tf, seed_names, package, tmp_path
):
    # Prod refuses to plan with nobody to tell its alarms: the copy names someone.
    tree = with_alarm_subscriber(copy_tree(REPO_ROOT, tmp_path / "tree"), "alarms@example.com")
    hand = None
    left: dict = {}
    try:
        hand = build_by_hand(seed_account.client, package, seed_names)
        assert get_visitors(seed_account, hand.api_id).json() == {"count": 1}  # it serves as built
        put_count(seed_account.client, 41, seed_names)
        summary = adopt_and_prove(seed_tf, tree, hand.api_id, package, seed_names)
        assert summary.endswith("0 to destroy")
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
