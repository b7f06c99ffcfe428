"""Done-when: `terraform apply` → GET /visitors → `terraform destroy` against the local account.

The scratch root holds one resource of every kind the stack uses; `examples/complete` is the real
composition of the modules (a move of it fails here, never skips). Both are applied on a copy in
a temporary folder with the provider override, counted twice through the gateway, re-planned
(no changes), destroyed, and the account is listed with boto3 to prove nothing is left.
"""

import json
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from terraform_runner import TerraformRunner

from counterstack.build import build_package
from counterstack.local import provider_override
from counterstack.paths import EXAMPLE_COMPLETE, MODULES_DIR
from counterstack.seed import SEED_ORIGINS

pytestmark = [
    pytest.mark.account,
    pytest.mark.slow,
    pytest.mark.local_only(
        reason="applies through the local provider override; tests/e2e run the stack on AWS"
    ),
]

SCRATCH_ROOT = Path(__file__).with_name("scratch_root")
REGION = "eu-west-1"
ORIGINS = list(SEED_ORIGINS)


def timed(tf: TerraformRunner, workdir: Path, *args: str) -> float:
    """Seconds a `terraform ARGS` that must succeed took."""
    started = time.monotonic()
    tf.ok(workdir, *args)
    return time.monotonic() - started


def write_provider(root: Path, variables: dict) -> None:
    """No `endpoints` block: the runner gives Terraform the account as AWS_ENDPOINT_URL."""
    (root / "counterstack_override.tf").write_text(provider_override(None, REGION))
    (root / "test.auto.tfvars.json").write_text(json.dumps(variables))


def leftovers(account, prefix: str) -> dict[str, list[str]]:
    inventory = account.inventory(REGION)
    return {
        kind: [n for n in names if prefix in n]
        for kind, names in inventory.items()
        if any(prefix in n for n in names)
    }


def lifecycle(
    tf: TerraformRunner,
    account,
    root: Path,
    tmp_path: Path,
    variables: dict,
    prefix: str,
    check: Callable[[dict], None] | None = None,
) -> None:
    """Apply, count twice, `check(outputs)`, re-plan (no changes), destroy, leak-check."""
    write_provider(root, variables)
    tf.ok(root, "init", "-input=false")
    try:  # a failed apply may have created part of the root: destroy it too
        apply_seconds = timed(tf, root, "apply", "-auto-approve", "-input=false")
        outputs = json.loads(tf.ok(root, "output", "-json"))
        url = account.local_url(outputs["visitors_url"]["value"])
        counts = [requests.get(url, timeout=30) for _ in range(2)]
        assert [r.status_code for r in counts] == [200, 200], [r.text for r in counts]
        assert [r.json() for r in counts] == [{"count": 1}, {"count": 2}]
        assert counts[0].headers["content-type"] == "application/json"
        if check is not None:
            check(outputs)
        plan = tf(root, "plan", "-detailed-exitcode", "-input=false")
        assert plan.returncode == 0, f"re-plan shows changes:\n{plan.stdout}"
    finally:
        destroy_seconds = timed(tf, root, "destroy", "-auto-approve", "-input=false")
    assert leftovers(account, prefix) == {}
    print(f"apply {apply_seconds:.1f}s, destroy {destroy_seconds:.1f}s")


@pytest.mark.parametrize("manual_deployment", [False, True], ids=["auto-deploy", "deployment"])
def test_scratch_root_apply_count_destroy(tf, local_account, tmp_path, manual_deployment):
    """Also: a stage with auto_deploy = false serves its aws_apigatewayv2_deployment, and the
    access log has one line per request in the stage's format."""
    prefix = f"scr{uuid.uuid4().hex[:6]}"
    root = tmp_path / "root"
    shutil.copytree(SCRATCH_ROOT, root)
    package = build_package(tmp_path / "visitor_counter.zip")
    variables = {
        "name": prefix,
        "region": REGION,
        "package_path": str(package.path),
        "manual_deployment": manual_deployment,
    }

    def two_access_log_lines(outputs: dict) -> None:
        logs = local_account.client("logs", REGION)
        group = outputs["access_log_group"]["value"]
        events = logs.filter_log_events(logGroupName=group)["events"]
        lines = [json.loads(event["message"]) for event in events]
        assert [set(line) for line in lines] == [{"requestId", "status"}] * 2
        assert [line["status"] for line in lines] == ["200", "200"]

    lifecycle(tf, local_account, root, tmp_path, variables, prefix, check=two_access_log_lines)


def test_examples_complete_apply_count_destroy(tf, local_account, tmp_path):
    prefix = f"ex{uuid.uuid4().hex[:6]}"
    shutil.copytree(
        EXAMPLE_COMPLETE,
        tmp_path / "examples" / "complete",
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "*_override.tf"),
    )
    shutil.copytree(
        MODULES_DIR,
        tmp_path / "modules",
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"),
    )
    package = build_package(tmp_path / "visitor_counter.zip")
    variables = {
        "name_prefix": prefix,
        "region": REGION,
        "package_path": str(package.path),
        "cors_allow_origins": ORIGINS,
    }
    lifecycle(tf, local_account, tmp_path / "examples" / "complete", tmp_path, variables, prefix)
