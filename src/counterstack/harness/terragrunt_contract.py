"""Static contract checks of the Terragrunt tree, without a Terragrunt binary.

Units are wiring only, so most of what can go wrong is a broken contract between a unit and the
module or unit it names: an input the module does not declare, an output that is not mocked, a
dependency path that leads nowhere. `check_tree(root)` reads every unit with python-hcl2 and returns
one `Problem` per broken promise, each naming the unit and the key, so a reviewer can fix it without
running anything.

python-hcl2 (v8) keeps HCL's shape: blocks are lists of `{label: body}` with quoted labels, literal
strings keep their quotes (`'"dev"'`), and expressions come back as `"${...}"` text. Literals are
read; expressions are only searched for the references this module checks.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

ROOT_CONFIG = "terragrunt.hcl"
ENV_CONFIG = "env.hcl"
LIVE = "live"
PROTECTED_ENVIRONMENTS = ("prod",)
REQUIRED_ENV_KEYS = (
    "environment",
    "aws_region",
    "aws_account_id",
    "table_name",
    "function_name",
    "api_name",
    "stage_name",
    "cors_allow_origins",
    "deletion_protection",
)
# Commands a dependency's mocks must cover, so validate and plan work before anything is applied.
MOCKED_COMMANDS = ("validate", "plan")
# In protected environments mocks serve validate only: a plan there must read the real outputs,
# so it can never show (or apply) a change computed from mock values.
PROTECTED_MOCKED_COMMANDS = ("validate",)
# use_lockfile is experimental in Terraform 1.10 and generally available from 1.11.
LOCKFILE_TERRAFORM = (1, 11)
# AWS keeps an account's unreserved Lambda concurrency at or above min(quota, 100); a new account's
# quota can be 10, so there any reservation at all is refused. env.hcl may declare its account's
# quota (QUOTA_KEY) to reserve concurrency; undeclared, the new-account quota is assumed.
NEW_ACCOUNT_CONCURRENCY_QUOTA = 10
QUOTA_KEY = "lambda_concurrency_quota"
UNRESERVED_CONCURRENCY_MINIMUM = 100
# Terragrunt functions whose value depends on where the tree is checked out.
CHECKOUT_FUNCTIONS = (
    "get_repo_root()",
    "get_terragrunt_dir()",
    "get_parent_terragrunt_dir()",
    "get_original_terragrunt_dir()",
)
SKIP_DIRS = {".terragrunt-cache", ".terraform", ".git"}
# What a Terragrunt tree is made of: the root config, the environments, the modules they use.
TREE_PARTS = (ROOT_CONFIG, LIVE, "modules")

_OPTIONS = SerializationOptions(with_comments=False)
_INTERPOLATION = re.compile(r"\$\{([^{}]*)\}")
_DEPENDENCY_OUTPUT = re.compile(r"\bdependency\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)")
_DEPENDENCY_ANY = re.compile(r"\bdependency\.([A-Za-z_][\w-]*)\b")
_INCLUDE_ENV = re.compile(r"\binclude\.([A-Za-z_][\w-]*)\.locals\.env\.([A-Za-z_][\w-]*)")
_INCLUDE_ANY = re.compile(r"\binclude\.([A-Za-z_][\w-]*)\.")
_FIND_IN_PARENT = re.compile(r'^\$\{find_in_parent_folders\(\s*(?:"([^"]*)")?\s*\)\}$')
_LOCAL_REF = re.compile(r"\blocal\.([A-Za-z_][\w-]*)")
_VERSION_FLOOR = re.compile(r"^>=\s*(\d+)\.(\d+)(?:\.\d+)?$")


@dataclass(frozen=True, order=True)
class Problem:
    """One broken contract: where (`unit`, a path relative to the tree root), which key, and why."""

    unit: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.unit}: {self.key}: {self.message}"


@dataclass
class Module:
    path: Path
    variables: dict[str, bool] = field(default_factory=dict)  # name -> has a default
    outputs: set[str] = field(default_factory=set)


@dataclass
class Unit:
    name: str  # e.g. "live/dev/lambda"
    path: Path
    doc: dict[str, Any]
    module: Module | None = None
    dependencies: dict[str, Path] = field(default_factory=dict)  # label -> unit dir (existing)


# --- reading HCL -----------------------------------------------------------------------------


def load_hcl(path: Path) -> dict[str, Any]:
    """Parse one HCL file into python-hcl2's dict form (raises on syntax errors)."""
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=_OPTIONS)


def literal(value: Any) -> Any:
    """The value of a literal (string without interpolation, number, bool), else None."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        return None if "${" in inner or "%{" in inner else inner
    return None


def blocks(doc: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Labelled blocks of one kind (`dependency "x" {}`) as {label: body}."""
    found: dict[str, dict[str, Any]] = {}
    for entry in doc.get(kind, []):
        for label, body in entry.items():
            found[label.strip('"')] = body
    return found


def block(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    """Body of an unlabelled block (`terraform {}`, `locals {}`), merged if repeated."""
    merged: dict[str, Any] = {}
    for entry in doc.get(kind, []):
        merged.update(entry)
    return merged


def strings(value: Any) -> list[str]:
    """Every string inside a parsed value, keys included (references hide in both)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def read_module(path: Path) -> Module:
    """Variables (with whether they have a default) and outputs declared in a module's .tf files."""
    module = Module(path=path)
    for tf in sorted(path.glob("*.tf")):
        doc = load_hcl(tf)
        for name, body in blocks(doc, "variable").items():
            module.variables[name] = "default" in body
        module.outputs.update(blocks(doc, "output"))
    return module


# --- resolving the few functions units use -----------------------------------------------------


def find_in_parent_folders(start: Path, name: str, stop: Path) -> Path | None:
    """Terragrunt's search: the parent folders of `start` (not `start` itself), up to `stop`."""
    current = start.parent
    while True:
        if (current / name).is_file():
            return current / name
        if current == stop or current == current.parent:
            return None
        current = current.parent


def render_path(value: Any, unit_dir: Path, root: Path) -> Path | None:
    """A path-like string with get_repo_root()/get_terragrunt_dir() resolved, else None."""
    if not (isinstance(value, str) and value.startswith('"') and value.endswith('"')):
        return None
    known = {"get_repo_root()": str(root), "get_terragrunt_dir()": str(unit_dir)}
    text = value[1:-1]
    for expression in _INTERPOLATION.findall(text):
        if expression.strip() not in known:
            return None
        text = text.replace("${" + expression + "}", known[expression.strip()])
    path = Path(text)
    return (path if path.is_absolute() else unit_dir / path).resolve()


def terraform_floor(constraint: str) -> tuple[int, int] | None:
    """The lowest Terraform minor release a constraint admits, from its `>= X.Y` part, else None."""
    for part in constraint.split(","):
        if match := _VERSION_FLOOR.match(part.strip()):
            return int(match[1]), int(match[2])
    return None


def relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def copy_tree(source: Path, target: Path) -> Path:
    """A copy of the Terragrunt tree at `source` (no caches or state) at `target`: a checkout."""
    ignore = shutil.ignore_patterns(*SKIP_DIRS, "*.tfstate*", "__pycache__")
    target.mkdir(parents=True, exist_ok=True)
    for part in TREE_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, ignore=ignore)
        else:
            shutil.copy2(source / part, target / part)
    return target


# --- the checks --------------------------------------------------------------------------------


def discover_units(root: Path) -> list[Path]:
    """Folders under live/ that hold a terragrunt.hcl, skipping caches."""
    live = root / LIVE
    if not live.is_dir():
        return []
    return sorted(
        p.parent
        for p in live.rglob(ROOT_CONFIG)
        if not SKIP_DIRS.intersection(p.relative_to(live).parts)
    )


def check_root(root: Path) -> tuple[list[Problem], dict[str, Any]]:
    """The root config: present, never a unit, S3 state with a lock file and encryption."""
    path = root / ROOT_CONFIG
    if not path.is_file():
        return [Problem(ROOT_CONFIG, "file", "root configuration is missing")], {}
    try:
        doc = load_hcl(path)
    except Exception as error:
        return [Problem(ROOT_CONFIG, "file", f"cannot parse: {error}")], {}
    problems = []
    if block(doc, "terraform").get("source"):
        problems.append(
            Problem(ROOT_CONFIG, "terraform.source", "the root is shared config, not a unit")
        )
    remote_state = block(doc, "remote_state")
    if literal(remote_state.get("backend")) != "s3":
        problems.append(Problem(ROOT_CONFIG, "remote_state.backend", "must be s3"))
    config_text = " ".join(strings(remote_state.get("config", "")))
    for setting, pattern in (
        ("use_lockfile", r"\buse_lockfile\s*=\s*true\b"),
        ("encrypt", r"\bencrypt\s*=\s*true\b"),
        ("key", r"path_relative_to_include\(\)"),
    ):
        if not re.search(pattern, config_text):
            problems.append(
                Problem(ROOT_CONFIG, f"remote_state.config.{setting}", f"expected {pattern!r}")
            )
    if "provider" not in blocks(doc, "generate"):
        problems.append(Problem(ROOT_CONFIG, 'generate "provider"', "no generated provider"))
    if re.search(r"\buse_lockfile\s*=\s*true\b", config_text):
        problems += check_terraform_floor(doc)
    return problems, doc


def check_terraform_floor(doc: dict[str, Any]) -> list[Problem]:
    """The root requires a Terraform that knows use_lockfile: older ones stop with a clear error."""
    wanted = ".".join(map(str, LOCKFILE_TERRAFORM))
    constraint = literal(doc.get("terraform_version_constraint"))
    floor = terraform_floor(constraint) if isinstance(constraint, str) else None
    if floor is None or floor < LOCKFILE_TERRAFORM:
        found = f"is {constraint!r}" if constraint else "is missing"
        return [
            Problem(
                ROOT_CONFIG,
                "terraform_version_constraint",
                f'{found}: use_lockfile needs Terraform >= {wanted} (set ">= {wanted}")',
            )
        ]
    return []


def check_concurrency(env: dict[str, Any], where: str) -> list[Problem]:
    """Reserved concurrency the account accepts, and a stage burst the reservation can serve.

    AWS keeps min(quota, 100) of an account's Lambda concurrency unreserved, so a reservation must
    fit in the rest of the quota env.hcl declares (`lambda_concurrency_quota`); undeclared, it is a
    new account's 10, which has no room at all. The stage burst must fit in a reservation: B
    simultaneous requests need B executions, so a larger burst would be throttled by Lambda (a 5xx
    to the visitor) before the stage answers 429.
    """
    reserved = literal(env.get("reserved_concurrent_executions"))
    if reserved is None or reserved == -1:
        return []
    key = "locals.reserved_concurrent_executions"
    if not isinstance(reserved, int) or reserved < 1:
        return [Problem(where, key, "must be null (no reservation) or a whole number >= 1")]
    quota = literal(env.get(QUOTA_KEY, NEW_ACCOUNT_CONCURRENCY_QUOTA))
    if not isinstance(quota, int) or quota < 1:
        return [Problem(where, f"locals.{QUOTA_KEY}", "must be a whole number >= 1")]
    room = quota - min(quota, UNRESERVED_CONCURRENCY_MINIMUM)
    if reserved > room:
        declared = "declared" if QUOTA_KEY in env else f"a new account's; {QUOTA_KEY} not set"
        return [
            Problem(
                where,
                key,
                f"{reserved} does not fit the account's concurrency quota of {quota} "
                f"({declared}): AWS keeps min(quota, {UNRESERVED_CONCURRENCY_MINIMUM}) "
                f"unreserved, leaving {room}. Set null (the stage throttling caps) or, on an "
                f"account whose quota is >= {reserved + UNRESERVED_CONCURRENCY_MINIMUM}, "
                f"declare {QUOTA_KEY}",
            )
        ]
    burst = literal(env.get("throttling_burst_limit"))
    if not isinstance(burst, int | float) or burst > reserved:
        return [
            Problem(
                where,
                "locals.throttling_burst_limit",
                f"{burst!r} must be a number <= reserved_concurrent_executions ({reserved}): a "
                "larger burst is throttled by Lambda (5xx) before the stage answers 429",
            )
        ]
    return []


def check_environment(env_dir: Path, root: Path) -> tuple[list[Problem], dict[str, Any]]:
    """env.hcl: present, the required keys, the folder's own name, protections where required."""
    where = relative(env_dir / ENV_CONFIG, root)
    if not (env_dir / ENV_CONFIG).is_file():
        return [Problem(relative(env_dir, root), ENV_CONFIG, "environment has no env.hcl")], {}
    try:
        env = block(load_hcl(env_dir / ENV_CONFIG), "locals")
    except Exception as error:
        return [Problem(where, "file", f"cannot parse: {error}")], {}
    env.pop("__is_block__", None)
    problems = [
        Problem(where, f"locals.{key}", "required key is missing")
        for key in REQUIRED_ENV_KEYS
        if key not in env
    ]
    if "environment" in env and literal(env["environment"]) != env_dir.name:
        problems.append(
            Problem(where, "locals.environment", f"must be {env_dir.name!r} (the folder's name)")
        )
    if (
        env_dir.name in PROTECTED_ENVIRONMENTS
        and literal(env.get("deletion_protection")) is not True
    ):
        problems.append(
            Problem(where, "locals.deletion_protection", f"{env_dir.name} must keep it true")
        )
    problems += check_concurrency(env, where)
    return problems, env


def check_unit(
    unit: Unit, root: Path, root_doc: dict[str, Any], env: dict[str, Any]
) -> list[Problem]:
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
    for _label, key in sorted({m for t in texts for m in _INCLUDE_ENV.findall(t)}):
        if env and key not in env:
            problem(f"include.{_label}.locals.env.{key}", f"{ENV_CONFIG} has no local {key!r}")

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
    unit_inputs = {k: v for k, v in (doc.get("inputs") or {}).items()}
    root_inputs = {k: v for k, v in (root_doc.get("inputs") or {}).items()}
    if unit.module is not None:
        module_name = relative(unit.module.path, root)
        declared = unit.module.variables
        for key in sorted(unit_inputs):
            if key not in declared:
                problem(
                    f"inputs.{key}",
                    f"not a variable of {module_name} (it has: {', '.join(sorted(declared))})",
                )
        for key in sorted(root_inputs):
            if key not in declared:
                problem(
                    f"inputs.{key}",
                    f"common input from {ROOT_CONFIG} is not a variable of {module_name}",
                )
        for variable, has_default in sorted(declared.items()):
            if not has_default and variable not in unit_inputs and variable not in root_inputs:
                problem(f"inputs.{variable}", f"required variable of {module_name} is not set")

    # inputs land in state: none may depend on where the tree is checked out.
    unit_locals = block(doc, "locals")
    for key, raw in sorted(unit_inputs.items()):
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


def resolve_input(unit: Unit, key: str, env: dict[str, Any]) -> Any:
    """An input's value when it is a literal or a plain reference to an env.hcl local."""
    value = (unit.doc.get("inputs") or {}).get(key)
    match = (
        _INCLUDE_ENV.fullmatch(value[2:-1])
        if isinstance(value, str) and value.startswith("${")
        else None
    )
    if match:
        value = env.get(match.group(2))
    return literal(value)


def check_tree(root: Path) -> list[Problem]:
    """Every contract problem of the Terragrunt tree at `root` (empty when all is well)."""
    root = Path(root).resolve()
    problems, root_doc = check_root(root)
    unit_dirs = discover_units(root)
    if not unit_dirs:
        return [*problems, Problem(LIVE, "units", "no units found under live/")]

    live = root / LIVE
    env_dirs = sorted(
        {live / d.relative_to(live).parts[0] for d in unit_dirs}
        | {p.parent for p in live.glob(f"*/{ENV_CONFIG}")}
    )
    envs: dict[Path, dict[str, Any]] = {}
    for env_dir in env_dirs:
        env_problems, envs[env_dir] = check_environment(env_dir, root)
        problems += env_problems
        if (env_dir / ROOT_CONFIG).is_file():
            problems.append(
                Problem(
                    relative(env_dir, root), ROOT_CONFIG, "an environment folder must not be a unit"
                )
            )

    units: dict[Path, Unit] = {}
    for unit_dir in unit_dirs:
        name = relative(unit_dir, root)
        try:
            doc = load_hcl(unit_dir / ROOT_CONFIG)
        except Exception as error:
            problems.append(Problem(name, "file", f"cannot parse: {error}"))
            continue
        units[unit_dir.resolve()] = Unit(name=name, path=unit_dir.resolve(), doc=doc)
    env_of = {
        path: envs.get(live.resolve() / path.relative_to(live.resolve()).parts[0], {})
        for path in units
    }
    for path, unit in units.items():
        problems += check_unit(unit, root, root_doc, env_of[path])
    for unit in units.values():
        problems += check_dependency_outputs(unit, units, root)
    for cycle in find_cycles(units):
        problems.append(Problem(cycle[0], "dependency", "dependency cycle: " + " -> ".join(cycle)))

    # Every environment has the same units.
    layouts = {
        env_dir.name: {
            relative(u, env_dir) for u in unit_dirs if u.is_relative_to(env_dir) and u != env_dir
        }
        for env_dir in env_dirs
    }
    for env_name, layout in layouts.items():
        for other, other_layout in layouts.items():
            for missing in sorted(other_layout - layout):
                problems.append(
                    Problem(
                        f"{LIVE}/{env_name}/{missing}",
                        ROOT_CONFIG,
                        f"unit exists in {LIVE}/{other} but not in {LIVE}/{env_name}",
                    )
                )

    # Protected environments keep deletion protection on every table.
    for path, unit in units.items():
        env_name = path.relative_to(live.resolve()).parts[0]
        is_table = unit.module is not None and unit.module.path.name == "dynamodb"
        protected = env_name in PROTECTED_ENVIRONMENTS and is_table
        if protected and resolve_input(unit, "deletion_protection", env_of[path]) is not True:
            problems.append(
                Problem(unit.name, "inputs.deletion_protection", f"{env_name} tables must set true")
            )
    return sorted(set(problems))
