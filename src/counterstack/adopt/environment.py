"""What one live/<env> would create: each unit's module and inputs, as Terragrunt passes them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counterstack.errors import CounterStackError
from counterstack.terragrunt.compose import CompositionError, compose_environment
from counterstack.terragrunt.expressions import EvaluationError, plain
from counterstack.terragrunt.tree import ENV_CONFIG, environment_units, module_name
from counterstack.terragrunt.unit import read_config, read_unit

_MODULE_OUTPUT = re.compile(r"^\$\{module\.(?P<module>\w+)\.(?P<output>\w+)\}$")
# Outputs that are the module's input of the same name (all that discovery needs to follow).
_ECHOED_OUTPUTS = {"function_name", "name"}


@dataclass(frozen=True)
class Unit:
    folder: str  # the unit folder's name, e.g. "http-api": the key of adopted.hcl
    module: str  # the module it calls, e.g. "http-api"
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Environment:
    dir: Path
    name: str
    region: str
    units: list[Unit]

    def unit(self, module: str) -> Unit | None:
        return next((unit for unit in self.units if unit.module == module), None)


def read_environment(env_dir: Path | str) -> Environment:
    """The units of `env_dir` (a live/<env> folder) with their inputs resolved from env.hcl."""
    env_dir, root, unit_dirs = environment_units(env_dir)
    # A unit's own locals (e.g. where its zip is built) do not name anything in the account.
    placeholders = {
        name: f"<local.{name}>" for unit_dir in unit_dirs for name in read_unit(unit_dir).locals
    }
    try:
        env = plain(read_config(env_dir / ENV_CONFIG, env_dir)["locals"])
        modules = compose_environment(env_dir, locals_values=placeholders, root=root)["module"]
    except (CompositionError, EvaluationError) as error:
        raise CounterStackError(f"cannot read {env_dir}: {error}") from None
    units = []
    for unit_dir in unit_dirs:
        body = dict(modules[module_name(unit_dir)])
        module = Path(body.pop("source")).name
        units.append(Unit(unit_dir.name, module, _follow(body, modules)))
    return Environment(
        dir=env_dir,
        name=str(env.get("environment") or env_dir.name),
        region=str(env.get("aws_region")),
        units=units,
    )


def _follow(value: Any, modules: dict[str, Any]) -> Any:
    """Inputs with `${module.X.function_name}`-style references replaced by X's own input."""
    if isinstance(value, dict):
        return {key: _follow(item, modules) for key, item in value.items()}
    if isinstance(value, list):
        return [_follow(item, modules) for item in value]
    match = _MODULE_OUTPUT.match(value) if isinstance(value, str) else None
    if match and match["output"] in _ECHOED_OUTPUTS and match["module"] in modules:
        return modules[match["module"]].get(match["output"], value)
    return value
