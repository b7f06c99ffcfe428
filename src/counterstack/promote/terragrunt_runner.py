"""Saved plans with Terragrunt, unit by unit in dependency order, and the apply of exactly those.

Each unit is planned into `<out_dir>/<unit>.tfplan` and shown as `<unit>.json`; the apply hands
Terraform those files, never a fresh plan, and Terraform refuses a plan whose state has moved on
since (a stale plan). A unit's dependencies are read from their state at plan time, as
`terragrunt run --all plan` does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from counterstack.errors import CounterStackError
from counterstack.promote.environment import Environment

# Terraform's stdout as is (no Terragrunt log prefixes), so `show -json` writes plain JSON.
TERRAGRUNT_ENV = {"TG_NON_INTERACTIVE": "true", "TG_TF_FORWARD_STDOUT": "true"}


def _terragrunt(args: list[str], unit: Path, *, stdout=None) -> None:
    if shutil.which("terragrunt") is None:
        raise CounterStackError("terragrunt is not on PATH (mise install; or --runner compose)")
    result = subprocess.run(
        ["terragrunt", "run", "--", *args],
        cwd=unit,
        env={**os.environ, **TERRAGRUNT_ENV},
        stdout=stdout,
        check=False,
    )
    if result.returncode != 0:
        raise CounterStackError(f"terragrunt {args[0]} failed in {unit} (exit {result.returncode})")


def plan(env: Environment, out_dir: Path) -> dict[str, Path]:
    """Plan every unit into `out_dir`; {unit: its plan JSON}."""
    shown: dict[str, Path] = {}
    for unit in env.units:
        plan_file = out_dir / f"{unit.name}.tfplan"
        # -lock=false: the plan role only reads state; the apply locks, and Terraform refuses a
        # saved plan whose state changed since it was made.
        _terragrunt(["plan", "-input=false", "-lock=false", f"-out={plan_file}"], unit)
        with (out_dir / f"{unit.name}.json").open("w") as json_file:
            _terragrunt(["show", "-json", str(plan_file)], unit, stdout=json_file)
        shown[unit.name] = out_dir / f"{unit.name}.json"
    return shown


def apply(env: Environment, out_dir: Path) -> None:
    """Apply each unit's saved plan, dependencies first."""
    for unit in env.units:
        _terragrunt(["apply", "-input=false", str(out_dir / f"{unit.name}.tfplan")], unit)
