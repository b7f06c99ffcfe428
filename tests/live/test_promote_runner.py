"""`promote` through the project's Terragrunt runner on the local account: live/dev from an empty
account, wave by wave, each unit's state in the S3 bucket the root names, one object per unit.

Terragrunt cannot be installed here, so every unit's command runs through
`counterstack.terragrunt.run` (the program `promote` picks when `terragrunt` is not on PATH).
"""

import os
import shutil
import sys
from pathlib import Path

import boto3
import pytest

from counterstack.commands.promote import BOOTSTRAP_ENV, promote_in_waves
from counterstack.harness.target import local_target
from counterstack.paths import REPO_ROOT
from counterstack.promote import terragrunt_runner
from counterstack.promote.environment import read_environment
from counterstack.terragrunt.run.guard import ENDPOINT_SWITCH
from counterstack.terragrunt.tree import copy_tree

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.local_only(reason="the runner serves the local account only; AWS runs terragrunt"),
]

LOCAL_ACCOUNT = "123456789012"


def test_promote_applies_dev_unit_by_unit_with_one_state_object_per_unit(tmp_path, monkeypatch):
    if shutil.which("terragrunt"):
        pytest.skip("terragrunt is on PATH: promote runs it, not the project's runner")
    assert terragrunt_runner.program() == "counterstack.terragrunt.run"
    tree = copy_tree(REPO_ROOT, tmp_path / "tree")
    (tree / ".git").mkdir()  # get_repo_root() finds the copy, as in a checkout
    with local_target(region="eu-west-1") as target:
        monkeypatch.setenv(ENDPOINT_SWITCH, str(target.endpoint))
        monkeypatch.setenv(BOOTSTRAP_ENV, "true")
        monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        env = read_environment(tree / "live" / "dev")
        promote_in_waves(env, tmp_path / "plans", allow_replace=False)
        s3 = boto3.client(
            "s3",
            endpoint_url=str(target.endpoint),
            region_name="eu-west-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        listed = s3.list_objects_v2(Bucket=f"counterstack-tfstate-{LOCAL_ACCOUNT}-dev")
        keys = sorted(item["Key"] for item in listed.get("Contents", []))
    assert keys == [f"live/dev/{unit.name}/terraform.tfstate" for unit in sorted(env.units)]
    for unit in env.units:  # every plan applied was shown first, none holds a mock
        shown = (tmp_path / "plans" / f"{unit.name}.json").read_text()
        assert "mock" not in shown, unit.name
