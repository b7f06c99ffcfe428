"""One environment's Terragrunt units as a single Terraform root, to plan them without Terragrunt.

`compose_environment(env_dir)` reads every unit of `live/<env>/` with the same parser as the static
contract checks (`contract`) and returns a Terraform JSON configuration (`main.tf.json`)
with one `module` block per unit: the unit's module, its inputs with `include.root.locals.env.*`
replaced by the env.hcl values, the root terragrunt.hcl's common inputs merged underneath (as
Terragrunt merges them), and `dependency.<unit>.outputs.<name>` wired to `module.<unit>.<name>`.
A unit's `local.*` is read from its `locals` block (`get_repo_root()` is `root`) unless passed in.
A relative path there (the lambda unit's zip) is relative to the directory Terraform runs in: the
composed root's folder here, the unit's working directory under Terragrunt. Anything else a unit
writes that this reader does not know is an error, so a unit cannot silently plan differently here
than under Terragrunt.

Adoption (`counterstack adopt --write`): the root merges `live/<env>/adopted.hcl`'s map of the unit
into the common inputs, and each unit folder may hold an `imports.tf` of unit-relative `import`
blocks. Import blocks only work in a root module, so `compose_imports` turns them into root blocks
whose addresses carry the unit's `module.<name>.` prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from counterstack.paths import MODULES_DIR, REPO_ROOT
from counterstack.terragrunt.hcl import block, blocks, literal, load_hcl
from counterstack.terragrunt.inputs import adopted_inputs, root_common_inputs
from counterstack.terragrunt.tree import (
    ENV_CONFIG,
    IMPORTS_FILE,
    ROOT_CONFIG,
    discover_units,
    module_name,
    relative,
    render_path,
)

_EXPRESSION = re.compile(r"^\$\{(?P<body>[^{}]*)\}$")
_ENV = re.compile(r"^include\.[A-Za-z_][\w-]*\.locals\.env\.(?P<key>[A-Za-z_][\w-]*)$")
_DEPENDENCY = re.compile(r"^dependency\.(?P<label>[A-Za-z_][\w-]*)\.outputs\.(?P<output>\w+)$")
_LOCAL = re.compile(r"^local\.(?P<name>[A-Za-z_][\w-]*)$")
_TEMPLATE = re.compile(r"\$\{(?P<body>[^{}]*)\}")

# The root terragrunt.hcl's expressions this composer reproduces (python-hcl2's rendering). If the
# root changes them, composing fails instead of silently planning something Terragrunt would not.
ROOT_EXPRESSIONS = {
    "inputs": "${merge(local.common_inputs, local.unit_adopted_inputs)}",
    "locals.adopted_file": '"${dirname(find_in_parent_folders("env.hcl"))}/adopted.hcl"',
    "locals.adopted_inputs": "${merge({}, [for path in [local.adopted_file] : "
    "read_terragrunt_config(path).locals.inputs if fileexists(path)] ...)}",
    "locals.unit_adopted_inputs": "${merge({}, [for unit, values in local.adopted_inputs : "
    "values if unit == basename(get_terragrunt_dir())] ...)}",
}


class CompositionError(ValueError):
    """A unit uses something this reader cannot turn into Terraform faithfully."""


def check_root_expressions(root_doc: Mapping[str, Any]) -> None:
    """Fail unless the root merges common and adopted inputs as `compose_environment` does."""
    root_locals = block(dict(root_doc), "locals")
    found = {
        "inputs": root_doc.get("inputs"),
        **{f"locals.{name}": root_locals.get(name) for name in ROOT_ADOPTED_LOCALS},
    }
    for key, expected in ROOT_EXPRESSIONS.items():
        if found[key] != expected:
            raise CompositionError(
                f"{ROOT_CONFIG} {key} is {found[key]!r}, but this composer applies {expected!r}: "
                "change both together"
            )


ROOT_ADOPTED_LOCALS = ("adopted_file", "adopted_inputs", "unit_adopted_inputs")


def _value(raw: Any, resolve: Any) -> Any:
    """python-hcl2's value as plain data: quotes dropped, `${...}` handed to `resolve`."""
    if isinstance(raw, bool | int | float) or raw is None:
        return raw
    if isinstance(raw, list):
        return [_value(item, resolve) for item in raw]
    if isinstance(raw, dict):
        return {
            key.strip('"'): _value(item, resolve)
            for key, item in raw.items()
            if key != "__is_block__"
        }
    if isinstance(raw, str):
        text = literal(raw)
        if text is not None:
            return text
        match = _EXPRESSION.match(raw)
        if match:
            return resolve(match["body"].strip())
        if len(raw) >= 2 and raw[0] == raw[-1] == '"' and "%{" not in raw:
            # A template: "${get_repo_root()}/build/..." -> each piece resolved to a string.
            return _TEMPLATE.sub(lambda piece: str(resolve(piece["body"].strip())), raw[1:-1])
    raise CompositionError(f"cannot read {raw!r}")


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
    locals_values = dict(locals_values or {})
    env = block(load_hcl(env_dir / ENV_CONFIG), "locals")
    root_doc = load_hcl(root / ROOT_CONFIG)
    check_root_expressions(root_doc)
    common_inputs = root_common_inputs(root_doc)
    adopted = adopted_inputs(env_dir)
    unit_dirs = [
        path.resolve() for path in discover_units(root) if path.resolve().parent == env_dir
    ]
    if not unit_dirs:
        raise CompositionError(f"no units in {relative(env_dir, root)}")

    modules: dict[str, dict[str, Any]] = {}
    for unit_dir in unit_dirs:
        unit = relative(unit_dir, root)
        doc = load_hcl(unit_dir / ROOT_CONFIG)
        unit_locals = block(doc, "locals")
        dependencies = {
            label: (unit_dir / str(literal(body.get("config_path")))).resolve()
            for label, body in blocks(doc, "dependency").items()
        }

        def resolve(
            expression: str, unit: str = unit, dependencies=dependencies, unit_locals=unit_locals
        ) -> Any:
            if match := _ENV.match(expression):
                if match["key"] not in env:
                    raise CompositionError(f"{unit}: {ENV_CONFIG} has no local {match['key']!r}")
                return _value(env[match["key"]], resolve)
            if match := _DEPENDENCY.match(expression):
                if match["label"] not in dependencies:
                    raise CompositionError(f"{unit}: dependency {match['label']!r} not declared")
                return f"${{module.{module_name(dependencies[match['label']])}.{match['output']}}}"
            if match := _LOCAL.match(expression):
                if match["name"] in locals_values:
                    return locals_values[match["name"]]
                if match["name"] not in unit_locals:
                    raise CompositionError(f"{unit}: pass a value for local.{match['name']}")
                return _value(unit_locals[match["name"]], resolve)
            if expression == "path_relative_to_include()":
                return unit  # the root terragrunt.hcl sits at the tree's top
            if expression == "get_repo_root()":
                return str(root)
            raise CompositionError(f"{unit}: cannot resolve ${{{expression}}}")

        source = render_path(block(doc, "terraform").get("source"), unit_dir, root)
        modules_dir = (root / MODULES_DIR.name).resolve()  # the tree's own modules/
        if source is None or source.parent != modules_dir or not source.is_dir():
            raise CompositionError(f"{unit}: terraform.source is not a module of {modules_dir}")
        unit_adopted = adopted.get(unit_dir.name, {})
        try:
            inputs = {
                **{key: _value(raw, resolve) for key, raw in common_inputs.items()},
                # merge(local.common_inputs, local.unit_adopted_inputs), keyed by folder name
                **{key: _value(raw, resolve) for key, raw in unit_adopted.items()},
                **{key: _value(raw, resolve) for key, raw in (doc.get("inputs") or {}).items()},
            }
        except CompositionError as error:
            raise CompositionError(f"{unit}: {error}") from None
        modules[module_name(unit_dir)] = {"source": f"{modules_source}/{source.name}", **inputs}
    return {"module": modules}


_IMPORT_TARGET = re.compile(r"^\$\{(?P<address>[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*(\[.*\])?)\}$")


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
