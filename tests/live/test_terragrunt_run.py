"""The live units for real: `terragrunt run --all` plan, then apply -> GET /visitors -> destroy.

Runs whenever `terragrunt` is on PATH, against the offline account through the root's
COUNTERSTACK_ENDPOINT switch, on a copy of the tree (its own .terragrunt-cache, state and zips).
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from counterstack.paths import REPO_ROOT
from counterstack.terraform_cli import terraform_env
from counterstack.terragrunt.tree import copy_tree, with_alarm_subscriber

TERRAGRUNT = shutil.which("terragrunt")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        TERRAGRUNT is None,
        reason="terragrunt not on PATH: install Terragrunt >= 1.0 to run live units for real",
    ),
]

ENVIRONMENT = "dev"
REGION = "eu-west-1"  # live/*/env.hcl
TIMEOUT = 900
STATE_BUCKET_PREFIX = "counterstack-tfstate-"


@pytest.fixture
def offline_account() -> Iterator:
    """A fresh offline account on a free port (imported here: collection never depends on it)."""
    from counterstack.local.account import LocalAccount

    with LocalAccount(port=0, region=REGION) as account:
        yield account


@pytest.fixture
def live_copy(tmp_path: Path) -> Path:
    """The Terragrunt tree in a git repo of its own, so get_repo_root() is the copy."""
    # Prod refuses to plan with nobody to tell its alarms: the copy names someone.
    with_alarm_subscriber(copy_tree(REPO_ROOT, tmp_path), "alarms@example.com")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def terragrunt_env(endpoint: str) -> dict[str, str]:
    """Terraform's project config, the local switch, fake credentials, the venv's CLI on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TG_", "TERRAGRUNT_"))}
    env.update(terraform_env())
    env.update(
        {
            "COUNTERSTACK_ENDPOINT": endpoint,
            # Terragrunt's own S3 client (state bucket bootstrap) reads credentials from the env.
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": REGION,
            "TG_NON_INTERACTIVE": "true",
            "TG_BACKEND_BOOTSTRAP": "true",
            "TG_TF_PATH": shutil.which("terraform") or "terraform",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    return env


def terragrunt(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [TERRAGRUNT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, (
        f"terragrunt {' '.join(args)} failed in {cwd}:\n{result.stdout[-4000:]}\n"
        f"{result.stderr[-4000:]}"
    )
    return result.stdout


def test_run_all_plan_uses_mocks_before_anything_exists(offline_account, live_copy: Path):
    env_dir = live_copy / "live" / ENVIRONMENT
    output = terragrunt(
        ["run", "--all", "--", "plan", "-input=false", "-no-color"],
        env_dir,
        terragrunt_env(offline_account.endpoint),
    )
    assert "aws_dynamodb_table.this will be created" in output
    assert "aws_lambda_function.this will be created" in output


def test_run_all_apply_serves_visitors_then_destroys(offline_account, live_copy: Path):
    env_dir = live_copy / "live" / ENVIRONMENT
    env = terragrunt_env(offline_account.endpoint)
    try:
        terragrunt(["run", "--all", "--", "apply", "-auto-approve", "-input=false"], env_dir, env)
        outputs = json.loads(terragrunt(["output", "-json"], env_dir / "http-api", env))
        url = offline_account.local_url(outputs["invoke_url"]["value"]).rstrip("/") + "/visitors"
        counts = []
        for _ in range(2):
            response = requests.get(url, timeout=30)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("application/json")
            counts.append(response.json()["count"])
        assert counts == [1, 2]
        # The zip is rebuilt byte-identical, so a second plan of the lambda unit is quiet.
        plan = subprocess.run(
            [TERRAGRUNT, "run", "--", "plan", "-detailed-exitcode", "-input=false", "-no-color"],
            cwd=env_dir / "lambda",
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert plan.returncode == 0, plan.stdout[-4000:] + plan.stderr[-4000:]
    finally:
        terragrunt(["run", "--all", "--", "destroy", "-auto-approve", "-input=false"], env_dir, env)
    inventory = offline_account.inventory()
    # The state bucket outlives the stack by design (it holds the now-empty states).
    inventory["s3_buckets"] = [
        b for b in inventory.get("s3_buckets", []) if not b.startswith(STATE_BUCKET_PREFIX)
    ]
    leftovers = {kind: names for kind, names in inventory.items() if names}
    assert not leftovers, f"left behind after destroy: {leftovers}"
