"""`counterstack drift` names what saved plans would change, read from real plan JSON.

The samples in data/ are Terraform 1.11's own JSON (trimmed to the keys the reader uses) of three
tables made by modules/dynamodb on a local account: `plan_quiet.json` planned right after the
apply; `plan_drift.json` after, outside Terraform, one table lost PITR and gained a tag and another
was deleted, while the third was left alone.
"""

import json
from pathlib import Path

import pytest

from counterstack.cli import main
from counterstack.drift import DriftedResource, drifted_resources
from counterstack.plan_json import load_plan

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent / "data"
QUIET = DATA / "plan_quiet.json"
DRIFT = DATA / "plan_drift.json"


def test_a_plan_of_an_unchanged_deployment_has_no_drift():
    plan = load_plan(QUIET)
    assert [r["change"]["actions"] for r in plan["resource_changes"]] == [["no-op"]] * 3
    assert drifted_resources(plan, "dynamodb") == []


def test_drifted_resources_are_named_with_action_attributes_and_cause():
    assert drifted_resources(load_plan(DRIFT), "dynamodb") == [
        DriftedResource(
            plan="dynamodb",
            address="module.archive.aws_dynamodb_table.this",
            action="create",
            attributes=(),
            changed_outside="deleted",
        ),
        DriftedResource(
            plan="dynamodb",
            address="module.counter.aws_dynamodb_table.this",
            action="update in place",
            attributes=("point_in_time_recovery", "tags", "tags_all"),
            changed_outside="point_in_time_recovery, tags, tags_all",
        ),
    ]


def test_replacement_is_named_as_such():
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "resource_changes": [
            {
                "address": "aws_lambda_permission.this",
                "change": {
                    "actions": ["delete", "create"],
                    "before": {"statement_id": "old", "action": "lambda:InvokeFunction"},
                    "after": {"statement_id": "new", "action": "lambda:InvokeFunction"},
                    "after_unknown": {"id": True},
                },
            }
        ],
    }
    (resource,) = drifted_resources(plan, "http-api")
    assert str(resource) == "http-api: aws_lambda_permission.this: replace (statement_id)"


def test_cli_exits_0_without_drift_and_1_naming_each_drifted_resource(tmp_path, capsys):
    assert main(["drift", str(QUIET)]) == 0
    assert capsys.readouterr().out == "no drift: 1 plan(s), no changes\n"

    unit_plan = tmp_path / "dynamodb.json"
    unit_plan.write_bytes(DRIFT.read_bytes())
    assert main(["drift", str(QUIET), str(unit_plan)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "drift: dynamodb: module.archive.aws_dynamodb_table.this: create; "
        "changed outside Terraform: deleted",
        "drift: dynamodb: module.counter.aws_dynamodb_table.this: update in place "
        "(point_in_time_recovery, tags, tags_all); changed outside Terraform: "
        "point_in_time_recovery, tags, tags_all",
        "2 resource(s) in 2 plan(s) would change: drift",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("not json", "not a JSON plan"),
        (json.dumps({"resources": []}), "not a plan: write it with terraform show -json"),
        (
            json.dumps({"format_version": "1.2", "terraform_version": "1.11.4", "errored": True}),
            "the plan errored",
        ),
    ],
)
def test_cli_rejects_what_is_not_a_plan_in_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "unit.json"
    if content is not None:
        path.write_text(content)
    assert main(["drift", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"counterstack drift: error: {path}: ")
    assert message in error
    assert error.count("\n") == 1 and "Traceback" not in error
