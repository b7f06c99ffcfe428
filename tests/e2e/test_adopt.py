"""Issue 11, end to end: the seed's running stack is adopted into live/prod, nothing replaced.

Both ways the seed was built — a flat Terraform root (forgotten with the `removed` blocks the CLI
prints) and by hand with console-style names — hold count 41 behind an API id the website calls.
`counterstack adopt --write` on a copy of the tree, live/prod composed the way the live tests do
(local switch: the provider points at this module's own local account), the plan gate, apply:
GET /visitors on the SAME API id answers 42 and a re-plan shows no changes. Teardown switches
prod's deletion protection off in the test's own override, destroys, and proves the account empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from adopt_helpers import (
    FUNCTION,
    REGION,
    TABLE,
    build_by_hand,
    compose_prod,
    copy_tree,
    counterstack,
    create_lambda_log_group,
    inventory,
    put_count,
    remove_console_policies,
    remove_leftovers,
    run_ok,
    switch_off_deletion_protection,
    terraform,
)

from counterstack.adopt.plan_gate import gate
from counterstack.harness.target import Target
from counterstack.local.client import RemoteAccount
from counterstack.local.provider import provider_override

pytestmark = pytest.mark.e2e

SEED_ROOT = Path(__file__).with_name("seed_root")


def get_visitors(target: Target, api_id: str) -> requests.Response:
    url = f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod/visitors"
    return requests.get(target.reachable_url(url), timeout=30)


def adopt_and_prove(target: Target, tree: Path, api_id: str, package: Path) -> str:
    """adopt --write, compose, gate, apply, GET 42 on the same API, re-plan quiet, teardown."""
    env_dir = tree / "live" / "prod"
    listed = counterstack("adopt", str(env_dir), "--endpoint", target.endpoint, "--json")
    assert listed.returncode == 0, listed.stderr
    adoption = json.loads(listed.stdout)
    written = counterstack("adopt", str(env_dir), "--endpoint", target.endpoint, "--write")
    assert written.returncode == 0, written.stderr
    root = compose_prod(tree, target.endpoint, package)
    applied = False
    try:
        run_ok(root, "init", "-input=false")
        run_ok(root, "plan", "-input=false", "-out=adopt.tfplan")
        (root / "plan.json").write_text(run_ok(root, "show", "-json", "adopt.tfplan"))
        report = gate(json.loads((root / "plan.json").read_text()))
        imported = {
            f"module.{row['unit'].replace('-', '_')}.{row['address']}"
            for row in adoption["resources"]
            if row["action"] == "import"
        }
        assert set(report.imports) == imported
        created = {
            f"module.{row['unit'].replace('-', '_')}.{row['address']}"
            for row in adoption["resources"]
            if row["action"] == "create"
        }
        assert set(report.creates) == created  # only what did not exist is added
        checked = counterstack("adopt", "--check-plan", str(root / "plan.json"))
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.splitlines()[0] == report.summary
        print(f"\nadoption plan: {report.summary}\n" + "\n".join(report.lines()[1:]))

        run_ok(root, "apply", "-input=false", "adopt.tfplan")
        applied = True
        response = get_visitors(target, api_id)
        assert response.status_code == 200, response.text
        assert response.json() == {"count": 42}
        replan = terraform(root, "plan", "-detailed-exitcode", "-input=false")
        assert replan.returncode == 0, f"re-plan after adoption shows changes:\n{replan.stdout}"

        before = {p: p.read_text() for p in env_dir.rglob("*") if p.suffix in (".tf", ".hcl")}
        again = counterstack("adopt", str(env_dir), "--endpoint", target.endpoint, "--write")
        assert again.returncode == 0, again.stderr
        after = {p: p.read_text() for p in env_dir.rglob("*") if p.suffix in (".tf", ".hcl")}
        assert after == before, "re-running adopt --write after the apply changed files"
        assert "nothing changed" in again.stderr
        return report.summary
    finally:
        if applied:  # the test's own override: prod's protection off, so the stack can go
            switch_off_deletion_protection(root)
            run_ok(root, "apply", "-auto-approve", "-input=false")
        elif (root / "terraform.tfstate").is_file():  # a failed apply may have turned it on
            switch_off_deletion_protection(root)
            terraform(root, "apply", "-auto-approve", "-input=false")


def teardown(target: Target, root: Path | None) -> dict:
    """Destroy the adopted stack, clean what it leaves alone; return what the destroy left."""
    left: dict = {}
    try:
        remove_console_policies(target.client)  # left alone by the modules; blocks the role
        if root is not None and (root / ".terraform").is_dir():
            run_ok(root, "destroy", "-auto-approve", "-input=false")
    finally:
        left = inventory(RemoteAccount(target.endpoint, REGION))
        remove_leftovers(target.client)  # whatever a failed run left, so the next test starts clean
    return left


def test_flat_root_is_forgotten_then_adopted_keeping_count_and_api(seed_account, package, tmp_path):
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "main.tf").write_text((SEED_ROOT / "main.tf").read_text())
    (seed / "local_override.tf").write_text(provider_override(seed_account.endpoint, REGION))
    (seed / "seed.auto.tfvars.json").write_text(json.dumps({"package_path": str(package)}))
    tree = copy_tree(tmp_path / "tree")
    left: dict = {}
    try:
        run_ok(seed, "init", "-input=false")
        run_ok(seed, "apply", "-auto-approve", "-input=false")
        api_id = json.loads(run_ok(seed, "output", "-json"))["api_id"]["value"]
        create_lambda_log_group(seed_account.client)
        assert get_visitors(seed_account, api_id).json() == {"count": 1}  # the seed serves
        put_count(seed_account.client, 41)

        printed = counterstack("adopt", "--removed-from", str(seed))
        assert printed.returncode == 0, printed.stderr
        blocks = printed.stdout
        assert blocks.count("removed {") == 9 and "destroy = false" in blocks
        keep = (SEED_ROOT / "main.tf").read_text().split('resource "aws_dynamodb_table"')[0]
        (seed / "main.tf").write_text(keep + "\n" + blocks)
        forget = run_ok(seed, "apply", "-auto-approve", "-input=false")
        assert "0 destroyed" in forget or "0 to destroy" in forget, forget
        assert run_ok(seed, "state", "list").strip() == ""
        assert get_visitors(seed_account, api_id).status_code == 200  # forgotten, still serving
        put_count(seed_account.client, 41)

        summary = adopt_and_prove(seed_account, tree, api_id, package)
        assert summary.endswith("0 to destroy")
    finally:
        left = teardown(seed_account, tree / "composed" / "prod")
    assert left == {}, f"left behind after destroy: {left}"


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
