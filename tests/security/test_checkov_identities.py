"""checkov over the planned policies of modules/identities: no failed check, and the gate bites.

The directory scan (test_checkov.py) reads modules/identities as written, where the policies are
built from locals checkov cannot evaluate, so its IAM checks (privilege escalation, write or
permissions management without constraints, `*` resources, GitHub OIDC claims) never see them.
Here checkov reads a plan of the module (`--framework terraform_plan`), where every policy is a
value: the prod account's roles (plan, apply, drift) and the dev account's (deploy, nightly).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from identities_inputs import DEV, IDENTITIES, PROD
from test_checkov import checkov_binary, json_documents

from counterstack.harness.plan import VARS_FILE, prepare_copy, show_plan

pytestmark = [pytest.mark.modules, pytest.mark.slow]  # a plan and a scan: ~20 s

# Checks that must have judged the roles' policies (not merely been skipped as not applicable).
SCAN_FLAGS = ["--skip-download", "--compact", "--output", "json"]  # offline, as .checkov.yaml
POLICY_CHECKS = {"CKV_AWS_286", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355", "CKV_AWS_393"}


def scan(binary: str, plan_file: Path) -> dict[str, set[str]]:
    """Check ids by outcome (passed, failed, skipped) of checkov over one plan file."""
    result = subprocess.run(
        [binary, "-f", str(plan_file), "--framework", "terraform_plan", *SCAN_FLAGS],
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    outcomes: dict[str, set[str]] = {"passed": set(), "failed": set(), "skipped": set()}
    for document in json_documents(result.stdout):
        for report in document if isinstance(document, list) else [document]:
            for outcome, ids in outcomes.items():
                ids.update(check["check_id"] for check in report["results"][f"{outcome}_checks"])
    assert any(outcomes.values()), f"checkov judged nothing:\n{result.stderr[-2000:]}"
    return outcomes


@pytest.fixture(scope="module")
def plan_files(tmp_path_factory, aws_endpoint, plan_provider) -> dict[str, Path]:
    """`terraform show -json` of each account's input set."""
    files = {}
    for name, inputs in {"prod": PROD, "dev": DEV}.items():
        tmp = tmp_path_factory.mktemp(f"identities-{name}")
        copy = prepare_copy(IDENTITIES, tmp)
        (copy / VARS_FILE).write_text(json.dumps(inputs))
        raw = show_plan(copy, "identities", endpoint=aws_endpoint, provider=plan_provider)
        files[name] = tmp / f"{name}.plan.json"
        files[name].write_text(json.dumps(raw))
    return files


@pytest.mark.parametrize("account", ["prod", "dev"])
def test_the_planned_policies_fail_no_check(plan_files, account):
    outcomes = scan(checkov_binary(), plan_files[account])
    assert outcomes["failed"] == set()
    assert outcomes["skipped"] == set()  # nothing is skipped in modules/identities
    assert outcomes["passed"] >= POLICY_CHECKS


def test_the_plan_gate_fails_on_a_planted_pass_role_to_anything(plan_files, tmp_path):
    raw = json.loads(plan_files["prod"].read_text())
    planted = 0
    for resource in raw["planned_values"]["root_module"]["resources"]:
        if resource["type"] == "aws_iam_role_policy" and resource["index"] == "prod":
            policy = json.loads(resource["values"]["policy"])
            policy["Statement"].append(
                {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "*"}
            )
            resource["values"]["policy"] = json.dumps(policy)
            planted += 1
    assert planted == 1
    (tmp_path / "planted.json").write_text(json.dumps(raw))
    failed = scan(checkov_binary(), tmp_path / "planted.json")["failed"]
    assert {"CKV_AWS_289", "CKV_AWS_355"} <= failed, failed  # resource exposure, "*" resource
