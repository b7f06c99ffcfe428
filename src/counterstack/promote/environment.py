"""The environment being promoted: its units in the runner's waves and the account it must be.

Units are discovered (a folder of `live/<env>/` with a terragrunt.hcl), never listed, so a new unit
is promoted with the rest; the runner's queue orders them as Terragrunt would apply them, and
env.hcl is read by the one reader (`terragrunt.unit`). What a unit reads of each dependency (the
`dependency.NAME.outputs.KEY` its config names) decides whether it can be planned in the same
round as that dependency (`rounds`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from counterstack.errors import CounterStackError
from counterstack.terragrunt.config import Run
from counterstack.terragrunt.contract_environment import PROTECTED_ENVIRONMENTS
from counterstack.terragrunt.expressions import EvaluationError, plain
from counterstack.terragrunt.run.run_all import dependency_waves, unit_dependencies
from counterstack.terragrunt.tree import ENV_CONFIG, environment_units, relative
from counterstack.terragrunt.unit import UNIT_CONFIG, read_config

ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
# `dependency.NAME.outputs.KEY` or `["KEY"]`; the outputs object as a whole (no key) reads them all.
OUTPUT_REFERENCE = re.compile(
    r"\bdependency\.([A-Za-z_][\w-]*)\.outputs(?:\.([A-Za-z_][\w-]*)|\[\s*\"([^\"]+)\"\s*\])?"
)
ALL_OUTPUTS = None  # what `reads` gives for a dependency whose outputs are read whole


@dataclass(frozen=True)
class Environment:
    dir: Path
    root: Path
    name: str
    region: str
    account_id: str  # env.hcl's pin; "" when none
    waves: tuple[tuple[Path, ...], ...]  # each wave depends only on the waves before it
    dependencies: Mapping[Path, Mapping[str, Path]]  # unit -> {dependency block: its unit}

    @property
    def units(self) -> tuple[Path, ...]:
        """Every unit, dependencies first."""
        return tuple(unit for wave in self.waves for unit in wave)

    def reads(self, unit: Path) -> dict[Path, frozenset[str] | None]:
        """The outputs `unit` reads of each unit it depends on (ALL_OUTPUTS: the whole object)."""
        text = (unit / UNIT_CONFIG).read_text(encoding="utf-8")
        named: dict[str, set[str] | None] = {}
        for match in OUTPUT_REFERENCE.finditer(text):
            name, key = match.group(1), match.group(2) or match.group(3)
            if key is None or named.get(name, set()) is None:
                named[name] = ALL_OUTPUTS
            else:
                named.setdefault(name, set()).add(key)  # type: ignore[union-attr]
        return {
            dependency: ALL_OUTPUTS
            if name in named and named[name] is None
            else frozenset(named.get(name) or ())
            for name, dependency in self.dependencies[unit].items()
        }

    @property
    def env_file(self) -> str:
        return relative(self.dir / ENV_CONFIG, self.root)


def read_environment(env_dir: Path | str) -> Environment:
    """`live/<env>` of a checkout: its env.hcl and its units in waves."""
    env_dir, root, units = environment_units(env_dir)
    if not units:
        raise CounterStackError(f"{relative(env_dir, root)} has no units")
    try:
        env = plain(read_config(env_dir / ENV_CONFIG, units[0], Run(env={}))["locals"])
        dependencies = unit_dependencies(units)
        waves = dependency_waves(dependencies)
    except EvaluationError as error:
        raise CounterStackError(f"{relative(env_dir, root)}: {error}") from None
    return Environment(
        dir=env_dir,
        root=root,
        name=str(env.get("environment") or env_dir.name),
        region=str(env.get("aws_region")),
        account_id=str(env.get("aws_account_id") or ""),
        waves=tuple(tuple(wave) for wave in waves),
        dependencies=dependencies,
    )


def require_account(env: Environment) -> None:
    """A protected environment runs only in the account env.hcl names (on AWS)."""
    if env.account_id and not ACCOUNT_ID.match(env.account_id):
        raise CounterStackError(
            f"{env.env_file}: aws_account_id {env.account_id!r} is not a 12-digit account id"
        )
    if env.name in PROTECTED_ENVIRONMENTS and not env.account_id:
        raise CounterStackError(
            f"{env.env_file}: aws_account_id is empty: set the {env.name} account id "
            f"(12 digits) before planning {env.name}"
        )
