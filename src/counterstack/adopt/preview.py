"""The adoption's plan before anything is written or applied: what the apply changes in place.

`counterstack adopt ENV_DIR --plan` copies the tree to a scratch folder, writes the adoption there
(imports.tf, adopted.hcl), composes live/<env> into one Terraform root (as the e2e tests do) and
plans it against the account with a scratch local state: a plan only reads. The plan is judged
as the gate judges the units' plans, and each in-place update is listed with its values before
and after (CORS origins, the function's code and settings, tags...), read by `plan_json`.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counterstack.adopt.discover import Adoption
from counterstack.adopt.environment import Environment
from counterstack.adopt.plan_gate import GateReport, check_plan
from counterstack.adopt.write import write_adoption
from counterstack.build import build_package
from counterstack.errors import CounterStackError
from counterstack.hcl_syntax import hcl_string
from counterstack.local.provider import default_tags_lines, provider_override
from counterstack.plan_json import SENSITIVE, UNKNOWN, attribute_changes, parse_plan
from counterstack.terraform_cli import ENDPOINT_ENV, terraform_env
from counterstack.terragrunt.compose import CompositionError, compose_environment, compose_imports
from counterstack.terragrunt.hcl import block, literal, load_hcl
from counterstack.terragrunt.tree import ROOT_CONFIG, copy_tree, environment_units

PLAN_FILE = "adopt.tfplan"
TIMEOUT = 600  # seconds a Terraform command may take
SHOWN_CHARACTERS = 160  # of a value, on a line


@dataclass(frozen=True)
class Change:
    address: str
    attribute: str
    before: Any
    after: Any

    def line(self) -> str:
        before, after = _shown(self.before), _shown(self.after)
        return f"  ~ {self.address}: {self.attribute}: {before} -> {after}"


@dataclass
class Preview:
    report: GateReport
    changes: list[Change]

    def lines(self) -> list[str]:
        """The summary, each in-place change with its values, then anything the gate refuses."""
        found = [f"the adoption plan: {self.report.summary}"]
        found += [change.line() for change in self.changes]
        found += [f"  ! {problem}" for problem in self.report.problems]
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "summary": self.report.summary,
            "changes": [change.__dict__ for change in self.changes],
            "problems": self.report.problems,
        }


def preview(env: Environment, adoption: Adoption, endpoint: str | None = None) -> Preview:
    """Plan the adoption of `env` in a scratch copy of its tree; nothing in `env` is written."""
    _, root, _ = environment_units(env.dir)
    with tempfile.TemporaryDirectory(prefix="counterstack-adopt-") as scratch:
        tree = copy_tree(root, Path(scratch) / "tree")
        env_dir = tree / env.dir.resolve().relative_to(root.resolve())
        write_adoption(env_dir, adoption)
        workdir = tree / "composed" / env.name  # ../../modules is the copy's modules/
        workdir.mkdir(parents=True)
        config = _root_config(env, env_dir, tree)
        (workdir / "main.tf.json").write_text(json.dumps(config, indent=2))
        (workdir / "provider.tf").write_text(_provider(env, tree, endpoint))
        for module in config["module"].values():  # the lambda unit's before_hook, in its cwd
            package = module.get("package_path")
            if isinstance(package, str) and package.endswith(".zip"):
                build_package(workdir / package)
        _terraform(workdir, endpoint, "init", "-input=false")
        _terraform(workdir, endpoint, "plan", "-input=false", "-lock=false", f"-out={PLAN_FILE}")
        shown = _terraform(workdir, endpoint, "show", "-json", PLAN_FILE)
    plan = parse_plan(shown, "the adoption plan", judging="the adoption")
    return Preview(check_plan(plan), in_place_changes(plan))


def in_place_changes(plan: dict[str, Any]) -> list[Change]:
    """Every attribute an in-place update of the plan changes, with its values."""
    return [
        Change(resource["address"], name, before, after)
        for resource in plan.get("resource_changes", [])
        if resource.get("mode") == "managed" and resource["change"].get("actions") == ["update"]
        for name, before, after in attribute_changes(resource["change"])
    ]


def _root_config(env: Environment, env_dir: Path, tree: Path) -> dict[str, Any]:
    try:
        config = compose_environment(env_dir, root=tree)
        imports = compose_imports(env_dir, root=tree)
    except CompositionError as error:
        raise CounterStackError(f"cannot compose {env.dir}: {error}") from None
    if imports:
        config["import"] = imports
    version = literal(block(load_hcl(tree / ROOT_CONFIG), "locals")["aws_provider_version"])
    aws = {"source": "hashicorp/aws", "version": version}
    config["terraform"] = {"required_providers": {"aws": aws}}
    return config


def _provider(env: Environment, tree: Path, endpoint: str | None) -> str:
    """The root's provider as its units get it: the region and default tags; fake keys for a
    local account (Terraform is given its URL as AWS_ENDPOINT_URL), else the default chain."""
    project = literal(block(load_hcl(tree / ROOT_CONFIG), "locals")["project"])
    tags = {"project": project, "environment": env.name, "managed-by": "terragrunt"}
    if endpoint:
        return provider_override(None, env.region, tags)
    lines = ['provider "aws" {', f"  region = {hcl_string(env.region)}", *default_tags_lines(tags)]
    return "\n".join([*lines, "}", ""])


def _terraform(workdir: Path, endpoint: str | None, *args: str) -> str:
    env = {**os.environ, **terraform_env()}
    if endpoint:
        env[ENDPOINT_ENV] = endpoint
    try:
        result = subprocess.run(
            ["terraform", *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CounterStackError(f"terraform {args[0]} of the adoption plan: {error}") from None
    if result.returncode != 0:
        detail = " ".join((result.stderr or result.stdout).split())[-600:]
        raise CounterStackError(f"terraform {args[0]} of the adoption plan failed: {detail}")
    return result.stdout


def _shown(value: Any) -> str:
    text = value if value in (UNKNOWN, SENSITIVE) else json.dumps(value, sort_keys=True)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 3] + "..."
