"""One environment's Terragrunt units as a single Terraform root, to plan them without Terragrunt.

`compose_environment(env_dir)` reads every unit of `live/<env>/` with the same parser as the static
contract checks (`terragrunt_contract`) and returns a Terraform JSON configuration (`main.tf.json`)
with one `module` block per unit: the unit's module, its inputs with `include.root.locals.env.*`
replaced by the env.hcl values, the root terragrunt.hcl's common inputs merged underneath (as
Terragrunt merges them), and `dependency.<unit>.outputs.<name>` wired to `module.<unit>.<name>`.
A unit's `local.*` is read from its `locals` block (`get_repo_root()` is `root`) unless passed in.
A relative path there (the lambda unit's zip) is relative to the directory Terraform runs in: the
composed root's folder here, the unit's working directory under Terragrunt. Anything else a unit
writes that this reader does not know is an error, so a unit cannot silently plan differently here
than under Terragrunt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from counterstack.harness.terragrunt_contract import (
    ENV_CONFIG,
    ROOT_CONFIG,
    block,
    blocks,
    discover_units,
    literal,
    load_hcl,
    relative,
    render_path,
)
from counterstack.paths import MODULES_DIR, REPO_ROOT

_EXPRESSION = re.compile(r"^\$\{(?P<body>[^{}]*)\}$")
_ENV = re.compile(r"^include\.[A-Za-z_][\w-]*\.locals\.env\.(?P<key>[A-Za-z_][\w-]*)$")
_DEPENDENCY = re.compile(r"^dependency\.(?P<label>[A-Za-z_][\w-]*)\.outputs\.(?P<output>\w+)$")
_LOCAL = re.compile(r"^local\.(?P<name>[A-Za-z_][\w-]*)$")
_TEMPLATE = re.compile(r"\$\{(?P<body>[^{}]*)\}")


class CompositionError(ValueError):
    """A unit uses something this reader cannot turn into Terraform faithfully."""


def module_name(unit_dir: Path) -> str:
    """The module block name of a unit: its folder name as an identifier (http-api -> http_api)."""
    return unit_dir.name.replace("-", "_")


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
    common_inputs = load_hcl(root / ROOT_CONFIG).get("inputs") or {}
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
        modules_dir = root / MODULES_DIR.name  # the checkout's own modules/
        if source is None or source.parent != modules_dir or not source.is_dir():
            raise CompositionError(f"{unit}: terraform.source is not a module of {modules_dir}")
        try:
            inputs = {
                **{key: _value(raw, resolve) for key, raw in common_inputs.items()},
                **{key: _value(raw, resolve) for key, raw in (doc.get("inputs") or {}).items()},
            }
        except CompositionError as error:
            raise CompositionError(f"{unit}: {error}") from None
        modules[module_name(unit_dir)] = {"source": f"{modules_source}/{source.name}", **inputs}
    return {"module": modules}
