"""Issue 11, end to end, (b) of two (test_adopt_flat_root.py is the other): the seed's
running stack is adopted into live/prod, nothing replaced.

Both ways the seed was built — a flat Terraform root (forgotten with the `removed` blocks the CLI
prints) and by hand with console-style names — hold count 41 behind an API id the website calls.
`counterstack adopt --write` on a copy of the tree, live/prod composed the way the live tests do
(local switch: the provider points at this module's own local account), the plan gate, apply:
GET /visitors on the SAME API id answers 42 and a re-plan shows no changes. Teardown switches
prod's deletion protection off in the test's own override, destroys, and proves the account empty.
"""

from __future__ import annotations

import json

import pytest
from adopt_helpers import (
    FUNCTION,
    TABLE,
    adopt_and_prove,
    build_by_hand,
    copy_tree,
    get_visitors,
    put_count,
    teardown,
)

pytestmark = pytest.mark.e2e  # one variant a module: xdist runs the two on different workers


def test_console_made_stack_is_adopted_keeping_count_and_api(seed_account, package, tmp_path):
    tree = copy_tree(tmp_path / "tree")
    hand = None
    left: dict = {}
    try:
        hand = build_by_hand(seed_account.client, package)
        assert get_visitors(seed_account, hand.api_id).json() == {"count": 1}  # it serves as built
        put_count(seed_account.client, 41)
        summary = adopt_and_prove(seed_account, tree, hand.api_id, package)
        assert summary.endswith("0 to destroy")
        role = seed_account.client("iam").get_role(RoleName=hand.role_name)["Role"]
        assert role["Path"] == "/service-role/"
        attached = seed_account.client("iam").list_attached_role_policies(RoleName=hand.role_name)
        assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [
            hand.managed_policy_arn
        ], "the console's managed policy must be left attached"
        statements = json.loads(
            seed_account.client("lambda").get_policy(FunctionName=FUNCTION)["Policy"]
        )
        assert [s["Sid"] for s in statements["Statement"]] == [hand.statement_id]
        table = seed_account.client("dynamodb").describe_table(TableName=TABLE)["Table"]
        assert table["TableStatus"] == "ACTIVE"
    finally:
        left = teardown(seed_account, tree / "composed" / "prod")
    assert left == {}, f"left behind after destroy: {left}"
