"""Contract checks of each unit: it includes the root, calls a module of the tree with inputs the
module declares, depends on units that exist through mocked outputs those units have, passes
nothing that differs between checkouts, and no dependency cycle runs through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from counterstack.terragrunt.contract_environment import PROTECTED_ENVIRONMENTS
from counterstack.terragrunt.expressions import EvaluationError
from counterstack.terragrunt.hcl import block, blocks, literal, strings
from counterstack.terragrunt.inputs import KnownAfterApply, unit_inputs
from counterstack.terragrunt.problem import Problem
from counterstack.terragrunt.tree import (
    ADOPTED_CONFIG,
    LIVE,
    ROOT_CONFIG,
    Module,
    find_in_parent_folders,
    read_module,
    relative,
    render_path,
)

# Commands a dependency's mocks must cover, so validate and plan work before anything is applied.
MOCKED_COMMANDS = ("validate", "plan")
# In protected environments mocks serve validate only: a plan there must read the real outputs,
# so it can never show (or apply) a change computed from mock values.
PROTECTED_MOCKED_COMMANDS = ("validate",)
# Terragrunt functions whose value depends on where the tree is checked out.
CHECKOUT_FUNCTIONS = (
    "get_repo_root()",
    "get_terragrunt_dir()",
    "get_parent_terragrunt_dir()",
    "get_original_terragrunt_dir()",
)

_DEPENDENCY_OUTPUT = re.compile(r"\bdependency\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)")
_DEPENDENCY_ANY = re.compile(r"\bdependency\.([A-Za-z_][\w-]*)\b")
_INCLUDE_ANY = re.compile(r"\binclude\.([A-Za-z_][\w-]*)\.")
_FIND_IN_PARENT = re.compile(r'^\$\{find_in_parent_folders\(\s*(?:"([^"]*)")?\s*\)\}$')
_LOCAL_REF = re.compile(r"\blocal\.([A-Za-z_][\w-]*)")


@dataclass
class Unit:
    name: str  # e.g. "live/dev/lambda"
    path: Path
    doc: dict[str, Any]
    module: Module | None = None
    dependencies: dict[str, Path] = field(default_factory=dict)  # label -> unit dir (existing)


def effective_inputs(unit: Unit, root: Path) -> dict[str, Any] | Problem:
    """The inputs Terragrunt would pass the unit (every dependency output a placeholder), or the
    problem that stops them from being read, keyed by the expression that failed."""
    try:
        return unit_inputs(unit.path, root, lambda _: KnownAfterApply(lambda name: f"<{name}>"))
    except EvaluationError as error:
        where = (error.expression or "inputs").removeprefix("${").removesuffix("}")
        return Problem(unit.name, where, error.reason)


def check_unit(unit: Unit, root: Path, inputs: dict[str, Any] | Problem) -> list[Problem]:
    problems: list[Problem] = []
    name, doc = unit.name, unit.doc

    def problem(key: str, message: str) -> None:
        problems.append(Problem(name, key, message))

    # include: resolves to the root file; exposed when its locals are read.
    includes = blocks(doc, "include")
    if not includes:
        problem("include", f"does not include the root {ROOT_CONFIG}")
    for label, body in includes.items():
        raw = body.get("path")
        match = _FIND_IN_PARENT.match(raw) if isinstance(raw, str) else None
        if match:
            target = find_in_parent_folders(unit.path, match.group(1) or ROOT_CONFIG, root)
        else:
            target = render_path(raw, unit.path, root)
        if target is None or not target.is_file():
            problem(f"include.{label}.path", f"{raw} does not resolve to a file")
        elif target.resolve() != (root / ROOT_CONFIG).resolve():
            problem(f"include.{label}.path", f"resolves to {relative(target, root)}, not the root")
    texts = strings({k: v for k, v in doc.items() if k != "include"})
    for label in sorted({m for t in texts for m in _INCLUDE_ANY.findall(t)}):
        if label not in includes:
            problem(f"include.{label}", "referenced but not declared")
        elif includes[label].get("expose") is not True:
            problem(
                f"include.{label}.expose", "locals are read, so the include needs expose = true"
            )
    if isinstance(inputs, Problem):
        problems.append(inputs)

    # terraform.source: an existing module.
    source = block(doc, "terraform").get("source")
    module_dir = render_path(source, unit.path, root) if source else None
    if source is None:
        problem("terraform.source", "missing: a unit must point at a module")
    elif module_dir is None or not module_dir.is_dir() or not any(module_dir.glob("*.tf")):
        problem("terraform.source", f"{source} is not a module folder in this tree")
    else:
        unit.module = read_module(module_dir)

    # dependencies: existing units, with mocks for validate and plan (validate only when protected).
    protected = unit.path.relative_to(root / LIVE).parts[0] in PROTECTED_ENVIRONMENTS
    mocked_commands = PROTECTED_MOCKED_COMMANDS if protected else MOCKED_COMMANDS
    dependencies = blocks(doc, "dependency")
    for label, body in dependencies.items():
        config_path = literal(body.get("config_path"))
        target = (unit.path / config_path).resolve() if config_path else None
        if target is None or not (target / ROOT_CONFIG).is_file():
            problem(
                f"dependency.{label}.config_path",
                f"{body.get('config_path')} is not a unit folder (no {ROOT_CONFIG} there)",
            )
        else:
            unit.dependencies[label] = target
        if not isinstance(body.get("mock_outputs"), dict):
            problem(f"dependency.{label}.mock_outputs", "missing: validate and plan need mocks")
        commands = [literal(c) for c in body.get("mock_outputs_allowed_terraform_commands") or []]
        for command in mocked_commands:
            if command not in commands:
                problem(
                    f"dependency.{label}.mock_outputs_allowed_terraform_commands",
                    f"does not allow {command!r}",
                )
        if protected:
            for command in sorted(set(map(str, commands)) - set(PROTECTED_MOCKED_COMMANDS)):
                problem(
                    f"dependency.{label}.mock_outputs_allowed_terraform_commands",
                    f"allows {command!r}: a protected environment mocks for "
                    f"{', '.join(PROTECTED_MOCKED_COMMANDS)} only, so it never plans against mocks",
                )

    # inputs: declared by the module; required variables all set.
    own_inputs = {k: v for k, v in (doc.get("inputs") or {}).items()}
    effective = inputs if isinstance(inputs, dict) else None
    if unit.module is not None and effective is not None:
        module_name = relative(unit.module.path, root)
        declared = unit.module.variables
        for key in sorted(own_inputs):
            if key not in declared:
                problem(
                    f"inputs.{key}",
                    f"not a variable of {module_name} (it has: {', '.join(sorted(declared))})",
                )
        for key in sorted(set(effective) - set(own_inputs)):
            if key not in declared:
                problem(
                    f"inputs.{key}",
                    f"input from the included {ROOT_CONFIG} (its common inputs, or the unit's "
                    f"map in {ADOPTED_CONFIG}) is not a variable of {module_name}",
                )
        for variable, has_default in sorted(declared.items()):
            if not has_default and variable not in effective:
                problem(f"inputs.{variable}", f"required variable of {module_name} is not set")

    # inputs land in state: none may depend on where the tree is checked out.
    unit_locals = block(doc, "locals")
    for key, raw in sorted(own_inputs.items()):
        texts = strings(raw)
        texts += [
            s
            for t in texts
            for name in _LOCAL_REF.findall(t)
            for s in strings(unit_locals.get(name))
        ]
        used = sorted({f for t in texts for f in CHECKOUT_FUNCTIONS if f in t})
        if used:
            problem(
                f"inputs.{key}",
                f"uses {', '.join(used)}: the value lands in state and differs between checkouts "
                "(pass a path relative to the module's working directory)",
            )
    return problems


def check_dependency_outputs(unit: Unit, units: dict[Path, Unit], root: Path) -> list[Problem]:
    """Every dependency.X.outputs.Y: X declared, Y an output of X's module, Y mocked."""
    problems = []
    dependencies = blocks(unit.doc, "dependency")
    texts = strings({k: v for k, v in unit.doc.items() if k != "dependency"})
    for label in sorted({m for t in texts for m in _DEPENDENCY_ANY.findall(t)} - set(dependencies)):
        problems.append(Problem(unit.name, f"dependency.{label}", "referenced but not declared"))
    for label, output in sorted({m for t in texts for m in _DEPENDENCY_OUTPUT.findall(t)}):
        if label not in dependencies:
            continue
        mocks = dependencies[label].get("mock_outputs")
        if isinstance(mocks, dict) and output not in mocks:
            problems.append(
                Problem(
                    unit.name, f"dependency.{label}.mock_outputs.{output}", "used but not mocked"
                )
            )
        target = units.get(unit.dependencies.get(label, Path("/nonexistent")))
        if target is not None and target.module is not None and output not in target.module.outputs:
            problems.append(
                Problem(
                    unit.name,
                    f"dependency.{label}.outputs.{output}",
                    f"not an output of {relative(target.module.path, root)} "
                    f"(it has: {', '.join(sorted(target.module.outputs))})",
                )
            )
    for label, body in sorted(dependencies.items()):
        target = units.get(unit.dependencies.get(label, Path("/nonexistent")))
        mocks = body.get("mock_outputs")
        if target is None or target.module is None or not isinstance(mocks, dict):
            continue
        for output in sorted(set(mocks) - target.module.outputs):
            problems.append(
                Problem(
                    unit.name,
                    f"dependency.{label}.mock_outputs.{output}",
                    f"mocks an output {relative(target.module.path, root)} does not have",
                )
            )
    return problems


def find_cycles(units: dict[Path, Unit]) -> list[list[str]]:
    """Dependency cycles, each as the list of unit names around it (first repeated at the end)."""
    cycles: list[list[str]] = []
    state: dict[Path, str] = {}
    stack: list[Path] = []

    def visit(path: Path) -> None:
        state[path] = "open"
        stack.append(path)
        for target in units[path].dependencies.values():
            if target not in units:
                continue
            if state.get(target) == "open":
                loop = [*stack[stack.index(target) :], target]
                cycles.append([units[p].name for p in loop])
            elif target not in state:
                visit(target)
        stack.pop()
        state[path] = "done"

    for path in sorted(units):
        if path not in state:
            visit(path)
    return cycles
