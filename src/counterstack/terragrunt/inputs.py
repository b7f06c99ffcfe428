"""What a unit receives besides its own inputs, and what one of its inputs is.

Terragrunt merges the included root's `inputs` under the unit's own: the root's common inputs
(`root_common_inputs`) and the unit's map in `live/<env>/adopted.hcl` (`adopted_inputs`), which
`counterstack adopt --write` writes. `resolve_input` reads a unit input that is a literal or an
env.hcl local.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from counterstack.terragrunt.hcl import block, literal, load_hcl
from counterstack.terragrunt.tree import ADOPTED_CONFIG

# `include.<label>.locals.env.<key>`: a unit reading an env.hcl local through the root include.
INCLUDE_ENV = re.compile(r"\binclude\.([A-Za-z_][\w-]*)\.locals\.env\.([A-Za-z_][\w-]*)")


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
