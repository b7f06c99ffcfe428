"""Saved plans unit by unit, and the apply of exactly those, through Terragrunt's command line.

One code path whichever program carries a unit's command: `terragrunt` when it is on PATH (the
workflow), else the project's runner (`counterstack.terragrunt.run`, the local account only). Both
get the same argv, `run -- <terraform command>`, in the unit's folder. Each unit is planned into
`<out_dir>/<unit>.tfplan` and shown as `<unit>.json`; the apply hands Terraform those files, never a
fresh plan, and Terraform refuses a plan whose state has moved on since (a stale plan).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from counterstack.errors import CounterStackError
from counterstack.terragrunt.run.guard import ENDPOINT_SWITCH, ENDPOINT_URL, local_endpoint
from counterstack.terragrunt.run.main import terragrunt

# Terraform's stdout as is (no Terragrunt log prefixes), so `show -json` writes plain JSON.
TERRAGRUNT_ENV = {"TG_NON_INTERACTIVE": "true", "TG_TF_FORWARD_STDOUT": "true"}


def program() -> str:
    """Which program runs a unit's command: `terragrunt` on PATH, else this project's runner."""
    return "terragrunt" if shutil.which("terragrunt") else "counterstack.terragrunt.run"


def require_program() -> str:
    """The program, refusing in one line when only the runner is there and the endpoint is AWS."""
    chosen = program()
    if chosen != "terragrunt" and local_endpoint(os.environ) is None:
        raise CounterStackError(
            "terragrunt is not on PATH (mise install), and the project's Terragrunt runner serves "
            f"the local account only ({ENDPOINT_SWITCH}, or {ENDPOINT_URL} on loopback)"
        )
    return chosen


def terragrunt_command(argv: list[str], folder: Path, *, stdout: TextIO | None = None) -> int:
    """`terragrunt ARGV` in `folder` by whichever program carries it; its exit code."""
    env = {**os.environ, **TERRAGRUNT_ENV}
    if require_program() == "terragrunt":
        return subprocess.run(
            ["terragrunt", *argv], cwd=folder, env=env, stdout=stdout, check=False
        ).returncode
    return terragrunt(argv, folder, env, stdout or sys.stdout, sys.stderr)


def run_unit(args: list[str], unit: Path, *, stdout: TextIO | None = None) -> None:
    """`terragrunt run -- ARGS` in the unit; CounterStackError naming the unit when it fails."""
    code = terragrunt_command(["run", "--", *args], unit, stdout=stdout)
    if code != 0:
        raise CounterStackError(f"terragrunt {args[0]} failed in {unit} (exit {code})")


def bootstrap(env_dir: Path) -> None:
    """`terragrunt backend bootstrap --all`: the environment's state bucket made ready, by the
    deploy role, in a step of its own (plans never bootstrap)."""
    code = terragrunt_command(["backend", "bootstrap", "--all"], env_dir)
    if code != 0:
        raise CounterStackError(f"terragrunt backend bootstrap failed in {env_dir} (exit {code})")


def plan(units: Sequence[Path], out_dir: Path) -> dict[str, Path]:
    """Plan each unit into `out_dir`, in the order given; {unit: its plan JSON}."""
    require_program()
    shown: dict[str, Path] = {}
    for unit in units:
        plan_file = out_dir / f"{unit.name}.tfplan"
        # -lock=false: the plan role only reads state; the apply locks, and Terraform refuses a
        # saved plan whose state changed since it was made.
        run_unit(["plan", "-input=false", "-lock=false", f"-out={plan_file}"], unit)
        with (out_dir / f"{unit.name}.json").open("w") as json_file:
            run_unit(["show", "-json", str(plan_file)], unit, stdout=json_file)
        shown[unit.name] = out_dir / f"{unit.name}.json"
    return shown


def apply(units: Sequence[Path], out_dir: Path) -> None:
    """Apply each unit's saved plan, in the order given."""
    require_program()
    for unit in units:
        run_unit(["apply", "-input=false", str(out_dir / f"{unit.name}.tfplan")], unit)
