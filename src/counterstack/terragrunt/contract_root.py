"""Contract checks of the root terragrunt.hcl: shared config (never a unit), S3 state with a lock
file and encryption, a generated provider, and a Terraform floor that knows the lock file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from counterstack.terragrunt.hcl import block, blocks, literal, load_hcl, strings
from counterstack.terragrunt.problem import Problem
from counterstack.terragrunt.tree import ROOT_CONFIG

# use_lockfile is experimental in Terraform 1.10 and generally available from 1.11.
LOCKFILE_TERRAFORM = (1, 11)

_VERSION_FLOOR = re.compile(r"^>=\s*(\d+)\.(\d+)(?:\.\d+)?$")


def check_root(root: Path) -> tuple[list[Problem], dict[str, Any]]:
    """The root config: present, never a unit, S3 state with a lock file and encryption."""
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
    remote_state = block(doc, "remote_state")
    if literal(remote_state.get("backend")) != "s3":
        problems.append(Problem(ROOT_CONFIG, "remote_state.backend", "must be s3"))
    config_text = " ".join(strings(remote_state.get("config", "")))
    for setting, pattern in (
        ("use_lockfile", r"\buse_lockfile\s*=\s*true\b"),
        ("encrypt", r"\bencrypt\s*=\s*true\b"),
        ("key", r"path_relative_to_include\(\)"),
    ):
        if not re.search(pattern, config_text):
            problems.append(
                Problem(ROOT_CONFIG, f"remote_state.config.{setting}", f"expected {pattern!r}")
            )
    if "provider" not in blocks(doc, "generate"):
        problems.append(Problem(ROOT_CONFIG, 'generate "provider"', "no generated provider"))
    if re.search(r"\buse_lockfile\s*=\s*true\b", config_text):
        problems += check_terraform_floor(doc)
    return problems, doc


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
