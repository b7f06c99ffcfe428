"""What a unit receives as inputs, read through the entry point (`unit.read_unit`).

`unit_inputs` is the unit's effective `inputs` (its includes' merged under its own) for a plan in
which each dependency's outputs are `outputs(unit_dir)`. `passes_adopted_inputs` asks whether
that hands the unit its map in `live/<env>/adopted.hcl` (what `counterstack adopt --write`
writes), by evaluating the unit with a stand-in adopted.hcl (the real one may not exist yet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from counterstack.hcl_syntax import hcl_value
from counterstack.terragrunt.config import Run
from counterstack.terragrunt.expressions import EvaluationError, plain
from counterstack.terragrunt.hcl import parse_hcl
from counterstack.terragrunt.tree import ADOPTED_CONFIG
from counterstack.terragrunt.unit import read_unit

# The key the stand-in adopted.hcl gives every unit folder (its own name as the value).
_PROBE = "counterstack_adoption_probe"


class KnownAfterApply(Mapping[str, str]):
    """A dependency's outputs before anything is applied: any name, as `placeholder(name)`."""

    def __init__(self, placeholder: Callable[[str], str]) -> None:
        self.placeholder = placeholder

    def __getitem__(self, output: str) -> str:
        return self.placeholder(output)

    def __contains__(self, output: object) -> bool:
        return isinstance(output, str)

    def __iter__(self) -> Iterator[str]:
        raise EvaluationError("a dependency's outputs are known after apply: name one")

    def __len__(self) -> int:
        raise EvaluationError("a dependency's outputs are known after apply: name one")


def unit_inputs(
    unit_dir: Path,
    root: Path,
    outputs: Callable[[Path], Any],
    locals_values: Mapping[str, Any] | None = None,
    stand_ins: Mapping[Path, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The unit's effective inputs for `plan`; `get_repo_root()` is `root` (the checkout)."""
    run = Run(command="plan", outputs=outputs, repo_root=root, stand_ins=dict(stand_ins or {}))
    inputs = plain(read_unit(unit_dir, run, locals_values)["inputs"])
    if not isinstance(inputs, Mapping):
        raise EvaluationError("inputs must be an object")
    return dict(inputs)


def passes_adopted_inputs(unit_dir: Path, root: Path, outputs: Callable[[Path], Any]) -> bool:
    """Whether the unit's inputs include its own map in its environment's adopted.hcl.

    Asked of a stand-in adopted.hcl that maps the unit's folder, and two others sorting before
    and after it, each to its own name under one key: the unit must receive its own name.
    """
    folders = (f"0-not-{unit_dir.name}", unit_dir.name, f"~not-{unit_dir.name}")
    stand_in = {folder: {_PROBE: folder} for folder in folders}
    doc = parse_hcl(f"locals {{\n  inputs = {hcl_value(stand_in)}\n}}\n")
    path = (unit_dir.parent / ADOPTED_CONFIG).resolve()
    inputs = unit_inputs(unit_dir, root, outputs, stand_ins={path: doc})
    return inputs.get(_PROBE) == unit_dir.name
