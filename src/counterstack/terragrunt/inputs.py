"""What a unit receives besides its own inputs: the root's, evaluated for the unit.

Terragrunt merges the included root's `inputs` under the unit's own. `root_inputs` evaluates the
root's `inputs` for one unit, however it is written; `passes_adopted_inputs` asks whether it
hands the unit its map in `live/<env>/adopted.hcl` (what `counterstack adopt --write` writes) by
evaluating it with a stand-in file. The static contract checks read the same sources without
evaluating anything: `root_common_inputs`, `adopted_inputs` and `resolve_input`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from counterstack.hcl_syntax import hcl_value
from counterstack.terragrunt.config import Config, UnitContext
from counterstack.terragrunt.expressions import EvaluationError, plain
from counterstack.terragrunt.hcl import block, literal, load_hcl, parse_hcl
from counterstack.terragrunt.tree import ADOPTED_CONFIG, ROOT_CONFIG

# `include.<label>.locals.env.<key>`: a unit reading an env.hcl local through the root include.
INCLUDE_ENV = re.compile(r"\binclude\.([A-Za-z_][\w-]*)\.locals\.env\.([A-Za-z_][\w-]*)")
# The key the stand-in adopted.hcl gives every unit folder (its own name as the value).
_PROBE = "counterstack_adoption_probe"


def root_common_inputs(root_doc: dict[str, Any]) -> dict[str, Any]:
    """The root's common inputs: `locals.common_inputs` (a plain `inputs` map in older trees)."""
    inputs = root_doc.get("inputs")
    if isinstance(inputs, dict):
        return inputs
    common = block(root_doc, "locals").get("common_inputs")
    return common if isinstance(common, dict) else {}


def adopted_inputs(env_dir: Path) -> dict[str, dict[str, Any]]:
    """`live/<env>/adopted.hcl` as {unit folder: {input: raw value}}; {} when there is none."""
    path = env_dir / ADOPTED_CONFIG
    if not path.is_file():
        return {}
    inputs = block(load_hcl(path), "locals").get("inputs") or {}
    return {unit.strip('"'): dict(values) for unit, values in inputs.items()}


def resolve_input(doc: dict[str, Any], key: str, env: dict[str, Any]) -> Any:
    """A unit input's value when it is a literal or a plain reference to an env.hcl local."""
    value = (doc.get("inputs") or {}).get(key)
    match = (
        INCLUDE_ENV.fullmatch(value[2:-1])
        if isinstance(value, str) and value.startswith("${")
        else None
    )
    if match:
        value = env.get(match.group(2))
    return literal(value)


def included_root(context: UnitContext) -> Config:
    """The root config as the unit includes it: its locals and inputs evaluated for the unit."""
    return context.read_config(str(context.root / ROOT_CONFIG))


def root_inputs(root_config: Config) -> dict[str, Any]:
    """The root's `inputs`, evaluated for the unit that includes it ({} when it has none)."""
    inputs = plain(root_config["inputs"])
    if not isinstance(inputs, Mapping):
        raise EvaluationError(f"{ROOT_CONFIG} inputs must be an object")
    return dict(inputs)


def passes_adopted_inputs(unit_dir: Path, root: Path) -> bool:
    """Whether the root's inputs hand the unit its own map in its environment's adopted.hcl.

    Asked of a stand-in adopted.hcl (the real one may not exist yet) that maps the unit's folder,
    and two others sorting before and after it, each to its own name under one key: the unit
    must receive its own name.
    """
    folders = (f"0-not-{unit_dir.name}", unit_dir.name, f"~not-{unit_dir.name}")
    stand_in = {folder: {_PROBE: folder} for folder in folders}
    doc = parse_hcl(f"locals {{\n  inputs = {hcl_value(stand_in)}\n}}\n")
    path = (unit_dir.parent / ADOPTED_CONFIG).resolve()
    inputs = root_inputs(included_root(UnitContext(unit_dir, root, {path: doc})))
    return inputs.get(_PROBE) == unit_dir.name
