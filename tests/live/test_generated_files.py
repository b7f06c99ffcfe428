"""The files Terragrunt would write for every unit, written from the units' effective configs.

Each unit is read through the entry point (`terragrunt.unit.read_unit`) as `terragrunt validate`
reads it, then `terragrunt.codegen.prepare` lays out its working directory the way Terragrunt
does: backend.tf holds the S3 settings Terraform reads (Terragrunt-only keys left out, one state
key per unit), provider.tf is the root's template, both signed and formatted as `terraform fmt`
formats them.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from counterstack.terragrunt.codegen import SIGNATURE, prepare
from counterstack.terragrunt.config import Run
from counterstack.terragrunt.tree import account_units, discover_units, relative, with_account_ids
from counterstack.terragrunt.unit import render

pytestmark = pytest.mark.live

ENDPOINT = "http://127.0.0.1:4566"
ACCOUNT = "111122223333"  # what STS would answer on AWS


def generated(tree: Path, unit_dir: Path, env: dict[str, str]) -> Path:
    run = Run(
        command="validate",
        env=env,
        repo_root=tree,
        aws_account_id=lambda: ACCOUNT,
        stand_ins=with_account_ids(tree, ACCOUNT),  # prod's guard wants its account named
    )
    return prepare(render(unit_dir, run), unit_dir)


@pytest.mark.parametrize("local", [True, False], ids=["local", "aws"])
def test_every_unit_gets_its_own_signed_backend_without_terragrunt_only_keys(tree: Path, local):
    env = {"COUNTERSTACK_ENDPOINT": ENDPOINT} if local else {}
    units = discover_units(tree)
    assert units and account_units(tree)
    for unit_dir in units + account_units(tree):
        unit = relative(unit_dir, tree)
        workdir = generated(tree, unit_dir, env)
        assert workdir.is_relative_to(unit_dir / ".terragrunt-cache")  # the module's copy
        backend = (workdir / "backend.tf").read_text()
        assert backend.startswith(f'# {SIGNATURE}\nterraform {{\n  backend "s3" {{\n'), unit
        account = "123456789012" if local else ACCOUNT
        environment = unit.split("/")[1]
        assert f'"counterstack-tfstate-{account}-{environment}"' in backend
        assert re.search(rf'\n    key\s+= "{unit}/terraform.tfstate"\n', backend), backend
        assert re.search(r"\n    use_lockfile\s+= true\n", backend), backend
        assert re.search(r"\n    encrypt\s+= true\n", backend), backend
        assert "skip_bucket" not in backend and "disable_bucket_update" not in backend
        assert ("force_path_style" in backend) is local
        provider = (workdir / "provider.tf").read_text()
        assert provider.startswith(f'# {SIGNATURE}\nprovider "aws" {{\n')
        assert ("endpoints {" in provider) is local


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not on PATH")
def test_generated_files_are_formatted_as_terraform_formats_them(tree: Path):
    for local in (True, False):
        env = {"COUNTERSTACK_ENDPOINT": ENDPOINT} if local else {}
        workdir = generated(tree, tree / "live" / "prod" / "lambda", env)
        for name in ("backend.tf", "provider.tf"):
            text = (workdir / name).read_text()
            formatted = subprocess.run(
                ["terraform", "fmt", "-"], input=text, capture_output=True, text=True, check=True
            ).stdout
            assert formatted == text, f"{name} ({'local' if local else 'aws'}):\n{text}"
