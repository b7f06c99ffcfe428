"""Stacks AWS refuses are refused here too: the scratch root applied with Terraform by hand.

(`tests/terraform_runner.py` runs Terraform; the provider override points it at the account.)

- A role whose policy omits dynamodb:UpdateItem, or names another table: the stack applies, but
  GET /visitors answers 500 and the function's log holds AccessDeniedException, as on AWS.
- Reserved concurrency 10 on an account whose quota is 10 (a new account): the apply fails with
  Lambda's InvalidParameterValueException.
"""

import json
import shutil
import uuid

import pytest
import requests
from test_terraform import REGION, SCRATCH_ROOT, leftovers, write_provider

from counterstack.build import build_package
from counterstack.local.awslambda.account_settings import QUOTA_PATH
from counterstack.local.client import ACCOUNT_ID

pytestmark = [
    pytest.mark.account,
    pytest.mark.slow,
    pytest.mark.local_only(reason="points Terraform at the local account and sets its quota"),
]


def prepare(tf, tmp_path, **variables) -> tuple:
    prefix = f"ref{uuid.uuid4().hex[:6]}"
    root = tmp_path / "root"
    shutil.copytree(SCRATCH_ROOT, root)
    package = build_package(tmp_path / "visitor_counter.zip")
    values = {"name": prefix, "region": REGION, "package_path": str(package.path), **variables}
    write_provider(root, values)
    tf.ok(root, "init", "-input=false")
    return root, prefix


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"policy_actions": ["dynamodb:GetItem"]}, id="update-item-omitted"),
        pytest.param(
            {"policy_table_arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/another"},
            id="another-table",
        ),
    ],
)
def test_a_role_without_update_item_on_the_table_answers_500(
    tf, local_account, tmp_path, variables
):
    root, prefix = prepare(tf, tmp_path, **variables)
    try:
        tf.ok(root, "apply", "-auto-approve", "-input=false")
        outputs = json.loads(tf.ok(root, "output", "-json"))
        response = requests.get(
            local_account.local_url(outputs["visitors_url"]["value"]), timeout=30
        )
        assert response.status_code == 500
        assert response.json() == {"message": "Internal Server Error"}
        events = local_account.client("logs").filter_log_events(
            logGroupName=f"/aws/lambda/{prefix}"
        )["events"]
        log = "\n".join(event["message"] for event in events)
        table_arn = f"arn:aws:dynamodb:{REGION}:{local_account.account_id}:table/{prefix}"
        assert "DynamoDB AccessDeniedException" in log
        assert (
            f"assumed-role/{prefix}/{prefix} is not authorized to perform: dynamodb:UpdateItem "
            f"on resource: {table_arn} because no identity-based policy allows"
        ) in log
    finally:
        tf.ok(root, "destroy", "-auto-approve", "-input=false")
    assert leftovers(local_account, prefix) == {}


def test_reserving_10_on_a_quota_of_10_fails_as_on_aws(tf, local_account, tmp_path):
    quota_url = local_account.endpoint + QUOTA_PATH
    before = requests.get(quota_url, timeout=10).json()
    requests.put(quota_url, json={"ConcurrentExecutions": 10}, timeout=10).raise_for_status()
    try:
        root, prefix = prepare(tf, tmp_path, reserved_concurrent_executions=10)
        try:
            result = tf(root, "apply", "-auto-approve", "-input=false")
            assert result.returncode != 0, "apply succeeded on a quota of 10"
            assert "InvalidParameterValueException" in result.stderr
            assert (
                "Specified ReservedConcurrentExecutions for function decreases account's "
                "UnreservedConcurrentExecution below its minimum value of [10]."
            ) in " ".join(result.stderr.split())
        finally:
            tf.ok(root, "destroy", "-auto-approve", "-input=false")
        assert leftovers(local_account, prefix) == {}
    finally:
        requests.put(quota_url, json=before, timeout=10).raise_for_status()
