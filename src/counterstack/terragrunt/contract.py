"""Static contract checks of the Terragrunt tree, without a Terragrunt binary.

Units are wiring only, so most of what can go wrong is a broken contract between a unit and the
module or unit it names: an input the module does not declare, an output that is not mocked, a
dependency path that leads nowhere. `check_tree(root)` reads every unit with python-hcl2 and returns
one `Problem` per broken promise, each naming the unit and the key, so a reviewer can fix it without
running anything. What a unit receives is evaluated through the entry point (`unit.read_unit`,
every dependency output a placeholder); the units' own wiring is read as written.

The checks live by subject: `contract_root` (terragrunt.hcl), `contract_environment` (env.hcl),
`contract_units` (each unit and the dependencies between units); `check_tree` runs them all and
adds what only the whole tree shows (adopted.hcl naming unknown units, environments with the same
units, protected tables).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from counterstack.terragrunt.config import Run
from counterstack.terragrunt.contract_environment import PROTECTED_ENVIRONMENTS, check_environment
from counterstack.terragrunt.contract_root import check_root, check_state, check_terraform_floor
from counterstack.terragrunt.contract_units import (
    Unit,
    check_dependency_outputs,
    check_unit,
    effective_inputs,
    find_cycles,
)
from counterstack.terragrunt.expressions import EvaluationError, plain
from counterstack.terragrunt.hcl import load_hcl
from counterstack.terragrunt.problem import Problem
from counterstack.terragrunt.tree import (
    ADOPTED_CONFIG,
    ENV_CONFIG,
    LIVE,
    ROOT_CONFIG,
    discover_units,
    relative,
)
from counterstack.terragrunt.unit import read_config


def check_tree(root: Path) -> list[Problem]:
    """Every contract problem of the Terragrunt tree at `root` (empty when all is well)."""
    root = Path(root).resolve()
    problems, root_doc = check_root(root)
    unit_dirs = discover_units(root)
    if not unit_dirs:
        return [*problems, Problem(LIVE, "units", "no units found under live/")]
    state_problems, uses_lockfile = check_state(unit_dirs, root)
    problems += state_problems
    if uses_lockfile:
        problems += check_terraform_floor(root_doc)

    live = root / LIVE
    env_dirs = sorted(
        {live / d.relative_to(live).parts[0] for d in unit_dirs}
        | {p.parent for p in live.glob(f"*/{ENV_CONFIG}")}
    )
    envs: dict[Path, dict[str, Any]] = {}
    for env_dir in env_dirs:
        env_problems, envs[env_dir] = check_environment(env_dir, root)
        problems += env_problems
        unit_names = {d.name for d in unit_dirs if d.parent == env_dir}
        adopted, adopted_problems = _adopted_units(env_dir, root)
        problems += adopted_problems
        for unit_name in sorted(set(adopted) - unit_names):
            problems.append(
                Problem(
                    relative(env_dir / ADOPTED_CONFIG, root),
                    f"locals.inputs.{unit_name}",
                    f"no unit folder {unit_name!r} in {relative(env_dir, root)}",
                )
            )
        if (env_dir / ROOT_CONFIG).is_file():
            problems.append(
                Problem(
                    relative(env_dir, root), ROOT_CONFIG, "an environment folder must not be a unit"
                )
            )

    units: dict[Path, Unit] = {}
    for unit_dir in unit_dirs:
        name = relative(unit_dir, root)
        try:
            doc = load_hcl(unit_dir / ROOT_CONFIG)
        except Exception as error:
            problems.append(Problem(name, "file", f"cannot parse: {error}"))
            continue
        units[unit_dir.resolve()] = Unit(name=name, path=unit_dir.resolve(), doc=doc)
    inputs = {path: effective_inputs(unit, root) for path, unit in units.items()}
    for path, unit in units.items():
        problems += check_unit(unit, root, inputs[path])
    for unit in units.values():
        problems += check_dependency_outputs(unit, units, root)
    for cycle in find_cycles(units):
        problems.append(Problem(cycle[0], "dependency", "dependency cycle: " + " -> ".join(cycle)))

    # Every environment has the same units.
    layouts = {
        env_dir.name: {
            relative(u, env_dir) for u in unit_dirs if u.is_relative_to(env_dir) and u != env_dir
        }
        for env_dir in env_dirs
    }
    for env_name, layout in layouts.items():
        for other, other_layout in layouts.items():
            for missing in sorted(other_layout - layout):
                problems.append(
                    Problem(
                        f"{LIVE}/{env_name}/{missing}",
                        ROOT_CONFIG,
                        f"unit exists in {LIVE}/{other} but not in {LIVE}/{env_name}",
                    )
                )

    # Protected environments keep deletion protection on every table.
    for path, unit in units.items():
        env_name = path.relative_to(live.resolve()).parts[0]
        is_table = unit.module is not None and unit.module.path.name == "dynamodb"
        protected = env_name in PROTECTED_ENVIRONMENTS and is_table
        effective = inputs[path] if isinstance(inputs[path], dict) else {}
        if protected and effective.get("deletion_protection") is not True:
            problems.append(
                Problem(unit.name, "inputs.deletion_protection", f"{env_name} tables must set true")
            )
    return sorted(set(problems))


def _adopted_units(env_dir: Path, root: Path) -> tuple[list[str], list[Problem]]:
    """The unit folders `live/<env>/adopted.hcl` gives inputs to (none when there is no file)."""
    path = env_dir / ADOPTED_CONFIG
    if not path.is_file():
        return [], []
    try:
        inputs = plain(read_config(path, env_dir, Run(env={}))["locals"]["inputs"])
    except (EvaluationError, KeyError) as error:
        return [], [Problem(relative(path, root), "locals.inputs", f"cannot be read: {error}")]
    return sorted(inputs), []
