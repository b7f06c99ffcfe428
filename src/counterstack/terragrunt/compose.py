"""One environment's Terragrunt units as a single Terraform root, to plan them without Terragrunt.

`compose_environment(env_dir)` reads every unit of `live/<env>/` and returns a Terraform JSON
configuration (`main.tf.json`) with one `module` block per unit: the unit's module and the inputs
Terragrunt would pass it for `plan` (`unit.read_unit`: the root terragrunt.hcl's `inputs` with
the unit's own merged over them), and `dependency.<unit>.outputs.<name>` wired to
`module.<unit>.<name>`. Both are evaluated (`expressions`), not matched as text, so the root and
the units may be laid out however HCL allows. A unit's `local.*` is read from its `locals` block
(`get_repo_root()` is `root`) unless passed in. A relative path there (the lambda unit's zip) is
relative to the directory Terraform runs in: the composed root's folder here, the unit's working
directory under Terragrunt. Anything a config uses that the evaluator does not know is a
CompositionError naming it, so a unit cannot silently plan differently here than under Terragrunt.

Adoption (`counterstack adopt --write`): the root must hand each unit its map in
`live/<env>/adopted.hcl` (checked with a stand-in file, as the real one may not exist yet), and
each unit folder may hold an `imports.tf` of unit-relative `import` blocks. Import blocks only work
in a root module, so `compose_imports` turns them into root blocks whose addresses carry the
unit's `module.<name>.` prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from counterstack.paths import MODULES_DIR, REPO_ROOT
from counterstack.terragrunt.config import Run
from counterstack.terragrunt.expressions import EvaluationError
from counterstack.terragrunt.hcl import literal, load_hcl
from counterstack.terragrunt.inputs import KnownAfterApply, passes_adopted_inputs, unit_inputs
from counterstack.terragrunt.tree import (
    ADOPTED_CONFIG,
    IMPORTS_FILE,
    ROOT_CONFIG,
    discover_units,
    module_name,
    relative,
)
from counterstack.terragrunt.unit import read_unit

_IMPORT_TARGET = re.compile(r"^\$\{(?P<address>[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*(\[.*\])?)\}$")


class CompositionError(ValueError):
    """A unit uses something this reader cannot turn into Terraform faithfully."""


def compose_environment(
    env_dir: Path | str,
    *,
    locals_values: Mapping[str, Any] | None = None,
    root: Path = REPO_ROOT,
    modules_source: str = "../../modules",
) -> dict[str, Any]:
    """Terraform JSON of one root calling every unit of `env_dir` as Terragrunt would configure it.

    `locals_values` gives the value of each `local.<name>` the units' inputs use. Module sources
    become `<modules_source>/<module>` (the plan harness copies `modules/` two levels up).
    """
    env_dir = Path(env_dir).resolve()
    root = Path(root).resolve()
    unit_dirs = [
        path.resolve() for path in discover_units(root) if path.resolve().parent == env_dir
    ]
    if not unit_dirs:
        raise CompositionError(f"no units in {relative(env_dir, root)}")

    modules: dict[str, dict[str, Any]] = {}
    for unit_dir in unit_dirs:
        unit = relative(unit_dir, root)
        run = Run(command="plan", outputs=_module_outputs, repo_root=root)
        try:
            source = read_unit(unit_dir, run)["terraform"].get("source")
            inputs = unit_inputs(unit_dir, root, _module_outputs, locals_values)
            passes_adopted = passes_adopted_inputs(unit_dir, root, _module_outputs)
        except EvaluationError as error:
            raise CompositionError(f"{unit}: {ROOT_CONFIG} inputs: {error}") from None
        if not passes_adopted:
            raise CompositionError(
                f"{unit}: {ROOT_CONFIG} inputs do not hand the unit its map in "
                f"{relative(unit_dir.parent, root)}/{ADOPTED_CONFIG}, where `counterstack adopt "
                "--write` puts the identity inputs that keep adopted objects from being replaced"
            )
        module_dir = Path(source).resolve() if isinstance(source, str) else None
        modules_dir = (root / MODULES_DIR.name).resolve()  # the tree's own modules/
        if module_dir is None or module_dir.parent != modules_dir or not module_dir.is_dir():
            raise CompositionError(f"{unit}: terraform.source is not a module of {modules_dir}")
        modules[module_name(unit_dir)] = {"source": f"{modules_source}/{module_dir.name}", **inputs}
    return {"module": modules}


def _module_outputs(unit_dir: Path) -> KnownAfterApply:
    """`dependency.<label>.outputs` in a composed root: each output is the module's output."""
    module = module_name(unit_dir)
    return KnownAfterApply(lambda output: f"${{module.{module}.{output}}}")


def compose_imports(env_dir: Path | str, *, root: Path = REPO_ROOT) -> list[dict[str, str]]:
    """Every unit's `imports.tf` as root import blocks: `{"to": "module.<unit>.<address>", "id"}`.

    The result goes under the `import` key of the composed Terraform JSON.
    """
    env_dir = Path(env_dir).resolve()
    found: list[dict[str, str]] = []
    for unit_dir in discover_units(Path(root).resolve()):
        path = unit_dir.resolve() / IMPORTS_FILE
        if unit_dir.resolve().parent != env_dir or not path.is_file():
            continue
        for body in load_hcl(path).get("import", []):
            match = _IMPORT_TARGET.match(str(body.get("to")))
            import_id = literal(body.get("id"))
            if match is None or not isinstance(import_id, str):
                raise CompositionError(f"{relative(path, root)}: cannot read import block {body}")
            address = match["address"].replace('\\"', '"')
            found.append({"to": f"module.{module_name(unit_dir)}.{address}", "id": import_id})
    return found
