"""Contract checks of the root terragrunt.hcl: shared config (never a unit), a generated provider,
S3 state with a lock file, encryption and a key per unit (as each unit renders it), and a
Terraform floor that knows the lock file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from counterstack.terragrunt.codegen import backend_config
from counterstack.terragrunt.config import Run
from counterstack.terragrunt.expressions import EvaluationError
from counterstack.terragrunt.hcl import block, blocks, literal, load_hcl
from counterstack.terragrunt.problem import Problem
from counterstack.terragrunt.tree import ROOT_CONFIG, relative, with_account_ids
from counterstack.terragrunt.unit import read_unit

# use_lockfile is experimental in Terraform 1.10 and generally available from 1.11.
LOCKFILE_TERRAFORM = (1, 11)

_VERSION_FLOOR = re.compile(r"^>=\s*(\d+)\.(\d+)(?:\.\d+)?$")


def check_root(root: Path) -> tuple[list[Problem], dict[str, Any]]:
    """The root config: present, never a unit, a generated provider."""
    path = root / ROOT_CONFIG
    if not path.is_file():
        return [Problem(ROOT_CONFIG, "file", "root configuration is missing")], {}
    try:
        doc = load_hcl(path)
    except Exception as error:
        return [Problem(ROOT_CONFIG, "file", f"cannot parse: {error}")], {}
    problems = []
    if block(doc, "terraform").get("source"):
        problems.append(
            Problem(ROOT_CONFIG, "terraform.source", "the root is shared config, not a unit")
        )
    if "provider" not in blocks(doc, "generate"):
        problems.append(Problem(ROOT_CONFIG, 'generate "provider"', "no generated provider"))
    return problems, doc


# The account a unit's state is read for: the state's settings do not depend on which one.
STAND_IN_ACCOUNT = "000000000000"


def check_state(unit_dirs: list[Path], root: Path) -> tuple[list[Problem], bool]:
    """Each unit's remote_state as Terragrunt renders it (`unit.read_unit`): S3 with a lock file
    and encryption, and a state key of its own. Also says whether any unit uses the lock file."""
    problems: list[Problem] = []
    owners: dict[Any, str] = {}
    uses_lockfile = False
    run = Run(
        command="validate",
        env={},
        repo_root=root,
        aws_account_id=lambda: STAND_IN_ACCOUNT,
        stand_ins=with_account_ids(root, STAND_IN_ACCOUNT),
    )
    for unit_dir in unit_dirs:
        unit = relative(unit_dir, root)
        try:
            state = read_unit(unit_dir, run).get("remote_state")
        except EvaluationError as error:
            problems.append(Problem(unit, "remote_state", error.reason))
            continue
        if not state or state["backend"] != "s3":
            problems.append(Problem(unit, "remote_state.backend", "must be s3"))
            continue
        config = backend_config("s3", state["config"])
        uses_lockfile = uses_lockfile or config.get("use_lockfile") is True
        for setting in ("use_lockfile", "encrypt"):
            if config.get(setting) is not True:
                problems.append(Problem(unit, f"remote_state.config.{setting}", "must be true"))
        key = config.get("key")
        if key in owners:
            problems.append(
                Problem(
                    unit,
                    "remote_state.config.key",
                    f"{key!r} is {owners[key]}'s state too: each unit needs its own key "
                    "(path_relative_to_include())",
                )
            )
        owners[key] = unit
    return problems, uses_lockfile


def check_terraform_floor(doc: dict[str, Any]) -> list[Problem]:
    """The root requires a Terraform that knows use_lockfile: older ones stop with a clear error."""
    wanted = ".".join(map(str, LOCKFILE_TERRAFORM))
    constraint = literal(doc.get("terraform_version_constraint"))
    floor = terraform_floor(constraint) if isinstance(constraint, str) else None
    if floor is None or floor < LOCKFILE_TERRAFORM:
        found = f"is {constraint!r}" if constraint else "is missing"
        return [
            Problem(
                ROOT_CONFIG,
                "terraform_version_constraint",
                f'{found}: use_lockfile needs Terraform >= {wanted} (set ">= {wanted}")',
            )
        ]
    return []


def terraform_floor(constraint: str) -> tuple[int, int] | None:
    """The lowest Terraform minor release a constraint admits, from its `>= X.Y` part, else None."""
    for part in constraint.split(","):
        if match := _VERSION_FLOOR.match(part.strip()):
            return int(match[1]), int(match[2])
    return None
