"""modules/identities against AWS's Service Authorization Reference (policy_sentry's IAM
database, which ships it): every planned action exists, the read roles' actions are of the Read
or List access level, an action is scoped to named resources only where AWS checks it against
one, and a service condition key is one the action takes. A policy wrong in any of these is
otherwise found out on AWS only: an unknown action or a resource AWS never matches allows nothing.
"""

import json
from collections.abc import Iterator

import pytest
from identities_inputs import DEV, IDENTITIES, PROD
from policy_sentry.querying.actions import get_action_data

from counterstack.harness.plan_batch import Variant

pytestmark = pytest.mark.modules

READ_ROLES = [("prod", "prod-plan"), ("prod", "prod-drift")]
READ_LEVELS = {"Read", "List"}


def planned(package_path: str) -> dict[str, Variant]:
    """This file's input sets (tests/modules/conftest.py plans every file's in one plan)."""
    return {"prod": (IDENTITIES, PROD), "dev": (IDENTITIES, DEV)}


def documents(plans) -> Iterator[tuple[str, dict]]:
    """Every planned policy (roles' inline policies and boundaries), named by plan and address."""
    for plan_name, summary in sorted(plans.items()):
        for address, values in sorted(summary.values.items()):
            if address.startswith(("aws_iam_role_policy.", "aws_iam_policy.")):
                yield f"{plan_name} {address}", json.loads(values["policy"])


def reference(action: str) -> list[dict]:
    """The reference's rows for `service:Action`: one per resource type it takes ("*": none)."""
    service, name = action.split(":")
    found = get_action_data(service, name)
    return [row for rows in (found or {}).values() for row in rows]


def test_every_planned_action_is_in_the_reference(plans):
    unknown = sorted(
        {
            f"{where}: {action}"
            for where, document in documents(plans)
            for statement in document["Statement"]
            for action in statement["Action"]
            if not reference(action)
        }
    )
    assert unknown == []


@pytest.mark.parametrize(("plan", "environment"), READ_ROLES)
def test_read_roles_hold_only_read_and_list_actions(plans, plan, environment):
    policy = json.loads(plans[plan].values[f'aws_iam_role_policy.this["{environment}"]']["policy"])
    levels = {
        action: {row["access_level"] for row in reference(action)}
        for statement in policy["Statement"]
        for action in statement["Action"]
    }
    assert {action: level for action, level in levels.items() if level - READ_LEVELS} == {}


def test_actions_are_scoped_to_resources_only_where_aws_checks_one(plans):
    """An action that takes no resource type is matched by Resource "*" only: scoped to an ARN,
    its statement would never allow it."""
    unmatched = sorted(
        {
            f"{where}: {statement['Sid']} {action}"
            for where, document in documents(plans)
            for statement in document["Statement"]
            if statement["Effect"] == "Allow" and statement["Resource"] != ["*"]
            for action in statement["Action"]
            if {row["resource_arn_format"] for row in reference(action)} <= {"*"}
        }
    )
    assert unmatched == []


def test_service_condition_keys_are_ones_the_actions_take(plans):
    wrong = sorted(
        {
            f"{where}: {statement['Sid']} {action} {key}"
            for where, document in documents(plans)
            for statement in document["Statement"]
            for operator in statement.get("Condition", {}).values()
            for key in operator
            if not key.startswith("aws:")  # global keys apply to every action
            for action in statement["Action"]
            if key not in {k for row in reference(action) for k in row["condition_keys"] or []}
        }
    )
    assert wrong == []
