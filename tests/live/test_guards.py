"""The root's guards: the Terragrunt release mise.toml installs; prod only with its account, dev
with its account or an explicit allow_any_account.

The account guard is a filtered for-expression: Terragrunt calls its `run_cmd` (which prints the
one line and fails) only when the filter lets it through. Terraform evaluates the same filter here
for each case, with the call replaced by its message; with Terragrunt on PATH, a real prod run
shows the line.
"""

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from counterstack.hcl_syntax import hcl_value
from counterstack.paths import REPO_ROOT
from counterstack.terraform_cli import terraform_env
from counterstack.terragrunt.hcl import literal, load_hcl
from counterstack.terragrunt.tree import copy_tree

pytestmark = pytest.mark.live

ROOT = REPO_ROOT / "terragrunt.hcl"
GUARD = re.compile(
    r"account_guard = \[\n\s*for environment in \[local\.env\.environment\] : run_cmd\("
    r"\s*\"sh\", \"-c\",\s*\"echo '(?P<message>[^']*)' >&2; exit 1\",\s*\)"
    r" if (?P<condition>[^\n]*)\n\s*\]"
)
PROD_LINE = (
    "live/prod/env.hcl: aws_account_id is empty: set the prod account id (12 digits) "
    "before planning prod"
)
DEV_LINE = (
    "live/dev/env.hcl: aws_account_id is empty: set the dev account id (12 digits) "
    "before planning dev, or allow_any_account = true to use the account of the credentials"
)


def test_terragrunt_constraint_admits_the_release_mise_installs_and_no_other_major():
    constraint = literal(load_hcl(ROOT)["terragrunt_version_constraint"])
    pinned = tomllib.loads((REPO_ROOT / "mise.toml").read_text())["tools"]["terragrunt"]
    allowed = SpecifierSet(constraint.replace(" ", ""))
    assert pinned in allowed
    assert "0.99.0" not in allowed and "2.0.0" not in allowed


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not on PATH")
def test_the_account_guard_stops_an_environment_on_aws_without_its_account_id(tmp_path: Path):
    """Prod always needs its id; dev too, unless its env.hcl allows any account explicitly."""
    match = GUARD.search(ROOT.read_text())
    assert match, "terragrunt.hcl: account_guard is not the filtered run_cmd this test reads"
    cases = {  # environment, local mode, account id, allow_any_account (None: not in env.hcl)
        "prod_aws_unpinned": ("prod", False, "", None),
        "prod_aws_unpinned_allowing_any": ("prod", False, "", True),
        "prod_aws_pinned": ("prod", False, "111122223333", None),
        "prod_local_unpinned": ("prod", True, "", None),
        "dev_aws_unpinned": ("dev", False, "", False),
        "dev_aws_unpinned_unsaid": ("dev", False, "", None),
        "dev_aws_unpinned_allowing_any": ("dev", False, "", True),
        "dev_aws_pinned": ("dev", False, "111122223333", False),
        "dev_local_unpinned": ("dev", True, "", False),
    }
    outputs = []
    for name, (environment, is_local, account_id, allow_any) in cases.items():
        condition = (
            match["condition"]
            .replace("local.is_local", hcl_value(is_local))
            .replace("local.env.aws_account_id", hcl_value(account_id))
            .replace(
                "try(local.env.allow_any_account, false)",
                hcl_value(False if allow_any is None else allow_any),
            )
        )
        outputs.append(
            f'output "{name}" {{\n  value = [for environment in [{hcl_value(environment)}] : '
            f'"{match["message"]}" if {condition}]\n}}\n'
        )
    (tmp_path / "main.tf").write_text("\n".join(outputs))
    env = {**os.environ, **terraform_env()}
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        run = subprocess.run(["terraform", *args], cwd=tmp_path, env=env, capture_output=True)
        assert run.returncode == 0, run.stdout + run.stderr
    shown = subprocess.run(
        ["terraform", "output", "-json"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    values = {name: output["value"] for name, output in json.loads(shown.stdout).items()}
    assert values == {
        "prod_aws_unpinned": [PROD_LINE],
        "prod_aws_unpinned_allowing_any": [PROD_LINE],
        "prod_aws_pinned": [],
        "prod_local_unpinned": [],
        "dev_aws_unpinned": [DEV_LINE],
        "dev_aws_unpinned_unsaid": [DEV_LINE],
        "dev_aws_unpinned_allowing_any": [],
        "dev_aws_pinned": [],
        "dev_local_unpinned": [],
    }


def test_dev_names_its_account_or_says_it_may_run_in_any():
    """An empty id with no explicit allow_any_account would stop dev; the tree says which it is."""
    env = load_hcl(REPO_ROOT / "live" / "dev" / "env.hcl")["locals"][0]
    account_id, allow_any = literal(env["aws_account_id"]), literal(env.get("allow_any_account"))
    assert re.fullmatch(r"[0-9]{12}", account_id) or allow_any in (True, False), env


@pytest.mark.skipif(shutil.which("terragrunt") is None, reason="terragrunt not on PATH")
def test_a_real_prod_run_without_an_account_id_stops_with_one_line(tmp_path: Path):
    tree = copy_tree(REPO_ROOT, tmp_path / "tree")
    env = {k: v for k, v in os.environ.items() if k != "COUNTERSTACK_ENDPOINT"}
    env.update(terraform_env(), TG_NON_INTERACTIVE="true")
    run = subprocess.run(
        ["terragrunt", "run", "--", "plan", "-input=false"],
        cwd=tree / "live" / "prod" / "dynamodb",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode != 0
    assert PROD_LINE in run.stderr  # Terragrunt may prefix its log lines
