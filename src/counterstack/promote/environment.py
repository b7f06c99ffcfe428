"""The environment being promoted: its units in dependency order and the account it must be.

Units are discovered (a folder of `live/<env>/` with a terragrunt.hcl), never listed, so a new unit
is promoted with the rest; `dependency` blocks order them as Terragrunt would apply them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from counterstack.errors import CounterStackError
from counterstack.terragrunt.contract_environment import PROTECTED_ENVIRONMENTS
from counterstack.terragrunt.hcl import block, blocks, literal, load_hcl
from counterstack.terragrunt.tree import ENV_CONFIG, ROOT_CONFIG, environment_units, relative

ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


@dataclass(frozen=True)
class Environment:
    dir: Path
    root: Path
    name: str
    region: str
    account_id: str  # env.hcl's pin; "" when none
    units: tuple[Path, ...]  # dependencies first

    @property
    def env_file(self) -> str:
        return relative(self.dir / ENV_CONFIG, self.root)


def read_environment(env_dir: Path | str) -> Environment:
    """`live/<env>` of a checkout: its env.hcl and its units, dependencies first."""
    env_dir, root, units = environment_units(env_dir)
    env = block(load_hcl(env_dir / ENV_CONFIG), "locals")
    if not units:
        raise CounterStackError(f"{relative(env_dir, root)} has no units")
    return Environment(
        dir=env_dir,
        root=root,
        name=str(literal(env.get("environment")) or env_dir.name),
        region=str(literal(env.get("aws_region"))),
        account_id=str(literal(env.get("aws_account_id")) or ""),
        units=tuple(_dependencies_first(units, root)),
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


def _dependencies_first(units: list[Path], root: Path) -> list[Path]:
    needs = {
        unit: {
            (unit / str(literal(body.get("config_path")))).resolve()
            for body in blocks(load_hcl(unit / ROOT_CONFIG), "dependency").values()
        }
        & set(units)  # one outside the environment is applied by its own promotion
        for unit in units
    }
    ordered: list[Path] = []
    while len(ordered) < len(units):
        ready = sorted(u for u in units if u not in ordered and needs[u] <= set(ordered))
        if not ready:
            stuck = ", ".join(relative(u, root) for u in units if u not in ordered)
            raise CounterStackError(f"dependency cycle between units: {stuck}")
        ordered += ready
    return ordered
