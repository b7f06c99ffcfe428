"""An account unit applied the way its first apply is made (a person, `terragrunt apply
--backend-bootstrap` in accounts/<account>/identities), on the local account through the project's
Terragrunt runner: the roles exist with the planned trust, the state sits in the account's bucket
under the unit's own key, the outputs give each environment's AWS_ROLE_ARN; destroy takes it all.
"""

import io
import json
import os
import shutil
import sys
from pathlib import Path

import boto3
import pytest

from counterstack.harness.target import local_target
from counterstack.paths import REPO_ROOT
from counterstack.terragrunt.run.guard import ENDPOINT_SWITCH
from counterstack.terragrunt.run.main import terragrunt
from counterstack.terragrunt.tree import copy_tree

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.local_only(reason="the runner serves the local account only; AWS runs terragrunt"),
]

LOCAL_ACCOUNT = "123456789012"
REGION = "eu-west-1"
REPOSITORY = "octo-org/visitor-counter"
ENVIRONMENTS = ["prod", "prod-drift", "prod-plan"]


def run(argv: list[str], unit: Path, env: dict[str, str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = terragrunt(argv, unit, env, out, err)
    assert code == 0, f"terragrunt {' '.join(argv)}: {err.getvalue()[-3000:]}"
    return out.getvalue()


def test_the_prod_account_unit_applies_its_roles_keeps_its_own_state_and_destroys(tmp_path):
    if shutil.which("terragrunt"):
        pytest.skip("terragrunt is on PATH: this proves the project's runner, not terragrunt")
    tree = copy_tree(REPO_ROOT, tmp_path / "tree")
    (tree / ".git").mkdir()  # get_repo_root() finds the copy, as in a checkout
    github = tree / "accounts" / "github.hcl"
    github.write_text(github.read_text().replace('repository = ""', f'repository = "{REPOSITORY}"'))
    unit = tree / "accounts" / "prod" / "identities"
    with local_target(region=REGION) as target:
        env = {
            **os.environ,
            ENDPOINT_SWITCH: str(target.endpoint),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        iam = session.client("iam", endpoint_url=str(target.endpoint))
        s3 = session.client("s3", endpoint_url=str(target.endpoint))
        bucket = f"counterstack-tfstate-{LOCAL_ACCOUNT}-prod"
        try:
            run(["apply", "-auto-approve", "--backend-bootstrap"], unit, env)
            role_arns = json.loads(run(["output", "-json", "role_arns"], unit, env))
            assert sorted(role_arns) == ENVIRONMENTS
            for environment, arn in role_arns.items():
                role = iam.get_role(RoleName=arn.rsplit("/", 1)[1])["Role"]
                condition = role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
                assert condition == {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": (
                            f"repo:{REPOSITORY}:environment:{environment}"
                        ),
                    }
                }
            keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
            assert keys == ["accounts/prod/identities/terraform.tfstate"]
        finally:
            run(["destroy", "-auto-approve"], unit, env)
        left = [r["RoleName"] for r in iam.list_roles()["Roles"]]
        assert not [name for name in left if name.startswith("counterstack-github-")], left
        assert not iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
        assert not iam.list_policies(Scope="Local")["Policies"]
