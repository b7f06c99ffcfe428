"""One environment's Terragrunt units as a single Terraform root, to plan them without Terragrunt.

`compose_environment(env_dir)` reads every unit of `live/<env>/` and returns a Terraform JSON
configuration (`main.tf.json`) with one `module` block per unit: the unit's module and the inputs
Terragrunt would pass it, that is the root terragrunt.hcl's `inputs` evaluated for the unit with
the unit's own merged over them, and `dependency.<unit>.outputs.<name>` wired to
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
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from counterstack.paths import MODULES_DIR, REPO_ROOT
from counterstack.terragrunt.config import UnitContext
from counterstack.terragrunt.expressions import Declared, EvaluationError, Locals, evaluate
from counterstack.terragrunt.hcl import block, blocks, literal, load_hcl
from counterstack.terragrunt.inputs import included_root, passes_adopted_inputs, root_inputs
from counterstack.terragrunt.tree import (
    ADOPTED_CONFIG,
    IMPORTS_FILE,
    ROOT_CONFIG,
    discover_units,
    module_name,
    relative,
    render_path,
)

_IMPORT_TARGET = re.compile(r"^\$\{(?P<address>[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*(\[.*\])?)\}$")


class CompositionError(ValueError):
    """A unit uses something this reader cannot turn into Terraform faithfully."""


class _ModuleOutputs(Mapping[str, str]):
    """`dependency.<label>.outputs` in a composed root: each output is the module's output."""

    def __init__(self, module: str) -> None:
        self.module = module

    def __getitem__(self, output: str) -> str:
        return f"${{module.{self.module}.{output}}}"

    def __contains__(self, output: object) -> bool:
        return isinstance(output, str)

    def __iter__(self) -> Iterator[str]:
        raise EvaluationError(f"module.{self.module}'s outputs are known after apply: name one")

    def __len__(self) -> int:
        raise EvaluationError(f"module.{self.module}'s outputs are known after apply: name one")


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
        doc = load_hcl(unit_dir / ROOT_CONFIG)
        source = render_path(block(doc, "terraform").get("source"), unit_dir, root)
        modules_dir = (root / MODULES_DIR.name).resolve()  # the tree's own modules/
        if source is None or source.parent != modules_dir or not source.is_dir():
            raise CompositionError(f"{unit}: terraform.source is not a module of {modules_dir}")
        inputs = _unit_inputs(unit_dir, root, doc, dict(locals_values or {}))
        modules[module_name(unit_dir)] = {"source": f"{modules_source}/{source.name}", **inputs}
    return {"module": modules}


def _unit_inputs(
    unit_dir: Path, root: Path, doc: dict[str, Any], locals_values: dict[str, Any]
) -> dict[str, Any]:
    """The root's inputs for the unit with the unit's own merged over them, as Terragrunt does."""
    unit = relative(unit_dir, root)
    context = UnitContext(unit_dir, root)
    try:
        root_config = included_root(context)
        inherited = root_inputs(root_config)
        passes_adopted = passes_adopted_inputs(unit_dir, root)
    except EvaluationError as error:
        raise CompositionError(f"{unit}: {ROOT_CONFIG} inputs: {error}") from None
    if not passes_adopted:
        raise CompositionError(
            f"{unit}: {ROOT_CONFIG} inputs do not hand the unit its map in "
            f"{relative(unit_dir.parent, root)}/{ADOPTED_CONFIG}, where `counterstack adopt "
            "--write` puts the identity inputs that keep adopted objects from being replaced"
        )
    dependencies = Declared(
        "dependency",
        {
            label: {"outputs": _ModuleOutputs(module_name(_config_path(unit_dir, body)))}
            for label, body in blocks(doc, "dependency").items()
        },
    )
    includes = Declared("include", {label: root_config for label in blocks(doc, "include")})
    scope = context.scope().with_variables(include=includes, dependency=dependencies)
    unit_locals = Locals(block(doc, "locals"), ROOT_CONFIG, scope, given=locals_values)
    try:
        own = evaluate(doc.get("inputs") or {}, unit_locals.scope)
    except EvaluationError as error:
        raise CompositionError(f"{unit}: {error}") from None
    return {**inherited, **own}


def _config_path(unit_dir: Path, dependency: dict[str, Any]) -> Path:
    return (unit_dir / str(literal(dependency.get("config_path")))).resolve()


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
