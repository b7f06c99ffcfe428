"""Saved plans of the environment composed as one Terraform root, for the local account.

Terragrunt cannot be installed everywhere; the project's composition (`compose_environment`) turns
the units into one root that Terraform plans and applies as Terragrunt would configure them: the
root's exact provider pin and allowed account, its default tags, the lambda unit's zip built where
its before_hook builds it. State stays in `<out_dir>/compose`, so it only rehearses against the
local account (COUNTERSTACK_ENDPOINT), never AWS. The plan is split per unit (`module.<unit>.`)
for the review, and the apply hands Terraform the saved plan.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from counterstack.build import build_package
from counterstack.errors import CounterStackError
from counterstack.paths import MODULES_DIR
from counterstack.promote.environment import Environment
from counterstack.terraform_cli import ENDPOINT_ENV, terraform_env
from counterstack.terragrunt.compose import CompositionError, compose_environment
from counterstack.terragrunt.hcl import block, literal, load_hcl
from counterstack.terragrunt.tree import ROOT_CONFIG, module_name

ENDPOINT_SWITCH = "COUNTERSTACK_ENDPOINT"  # the root's switch to the local account
LOCAL_ACCOUNT_ENV = "COUNTERSTACK_LOCAL_ACCOUNT_ID"
PLAN_FILE = "plan.tfplan"


def _endpoint() -> str:
    endpoint = os.environ.get(ENDPOINT_SWITCH, "")
    if not endpoint:
        raise CounterStackError(
            f"the compose runner rehearses against the local account only: set {ENDPOINT_SWITCH}"
        )
    return endpoint


def _root_config(env: Environment, workdir: Path) -> dict[str, Any]:
    modules = os.path.relpath(env.root / MODULES_DIR.name, workdir)
    try:
        config = compose_environment(env.dir, root=env.root, modules_source=modules)
    except CompositionError as error:
        raise CounterStackError(f"cannot compose {env.dir}: {error}") from None
    root_locals = block(load_hcl(env.root / ROOT_CONFIG), "locals")
    account = os.environ.get(LOCAL_ACCOUNT_ENV, "123456789012")
    config["terraform"] = {
        "required_providers": {
            "aws": {
                "source": "hashicorp/aws",
                "version": literal(root_locals["aws_provider_version"]),
            }
        }
    }
    config["provider"] = {
        "aws": {
            "region": env.region,
            "allowed_account_ids": [account],
            "access_key": "test",
            "secret_key": "test",
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            "s3_use_path_style": True,
            "default_tags": {
                "tags": {
                    "project": literal(root_locals["project"]),
                    "environment": env.name,
                    "managed-by": "terragrunt",
                }
            },
        }
    }
    return config


def _terraform(args: list[str], workdir: Path, *, stdout=None) -> None:
    env = {**os.environ, **terraform_env(), ENDPOINT_ENV: _endpoint()}
    result = subprocess.run(["terraform", *args], cwd=workdir, env=env, stdout=stdout, check=False)
    if result.returncode != 0:
        raise CounterStackError(
            f"terraform {args[0]} failed in {workdir} (exit {result.returncode})"
        )


def plan(env: Environment, out_dir: Path) -> dict[str, Path]:
    """Compose, plan into `<out_dir>/compose/plan.tfplan`; {unit: its share of the plan JSON}."""
    _endpoint()
    workdir = out_dir / "compose"
    workdir.mkdir(parents=True, exist_ok=True)
    config = _root_config(env, workdir)
    (workdir / "main.tf.json").write_text(json.dumps(config, indent=2))
    for module in config["module"].values():  # the lambda unit's before_hook, in its cwd
        package = module.get("package_path")
        if isinstance(package, str) and package.endswith(".zip"):
            build_package(workdir / package)
    _terraform(["init", "-input=false"], workdir, stdout=subprocess.DEVNULL)
    _terraform(["plan", "-input=false", f"-out={PLAN_FILE}"], workdir)
    with (workdir / "plan.json").open("w") as shown:
        _terraform(["show", "-json", PLAN_FILE], workdir, stdout=shown)
    whole = json.loads((workdir / "plan.json").read_text())
    per_unit: dict[str, Path] = {}
    for unit in env.units:
        prefix = f"module.{module_name(unit)}."
        share = {
            **whole,
            "resource_changes": [
                change
                for change in whole.get("resource_changes", [])
                if change["address"].startswith(prefix)
            ],
        }
        path = out_dir / f"{unit.name}.json"
        path.write_text(json.dumps(share))
        per_unit[unit.name] = path
    return per_unit


def apply(env: Environment, out_dir: Path) -> None:
    """Apply the saved plan of the composed root."""
    _terraform(["apply", "-input=false", PLAN_FILE], out_dir / "compose")
