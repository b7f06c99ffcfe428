"""A unit's effective configuration, as `terragrunt render --json` shows it: the entry point.

`read_unit(unit_dir, Run(command, outputs=...))` reads the unit's terragrunt.hcl as Terragrunt
does for that command: its includes (each file evaluated in the unit's context, exposed as
`include.<label>` when `expose = true`, merged `shallow`, `deep` or not at all), its locals, its
dependencies (`dependency.<name>.outputs` are the applied outputs, or the mocks when the dependency
has none and the command is allowed, or always with `skip_outputs`), and every other block and
attribute. The result is a lazy Mapping: a caller that reads only `inputs` evaluates only what
inputs need; `render` reads it all into plain data. `read_terragrunt_config()` returns the same
kind of Mapping for the file it reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from counterstack.terragrunt.config import Context, Run
from counterstack.terragrunt.errors import (
    DependencyNotAppliedError,
    DuplicatedGenerateBlocksError,
    MissingArgumentError,
    UnknownGenerateIfDisabledVal,
    UnknownGenerateIfExistsVal,
)
from counterstack.terragrunt.expressions import (
    Declared,
    EvaluationError,
    Locals,
    Scope,
    evaluate,
    evaluate_lazily,
    plain,
)
from counterstack.terragrunt.hcl import block

UNIT_CONFIG = "terragrunt.hcl"
MERGE_STRATEGIES = ("no_merge", "shallow", "deep")
MOCK_MERGE_STRATEGIES = ("no_merge", "shallow", "deep_map_only")
IF_EXISTS = ("error", "skip", "overwrite", "overwrite_terragrunt")
IF_DISABLED = ("skip", "remove", "remove_terragrunt")
# A generate block's fields with Terragrunt's defaults (read_terragrunt_config shows them all).
GENERATE_DEFAULTS = {
    "if_disabled": "skip",
    "comment_prefix": "# ",
    "disable_signature": False,
    "disable": False,
    "hcl_fmt": None,
    "mutable": None,
}
_GENERATE_BOOLS = ("disable_signature", "disable", "hcl_fmt", "mutable")
_REMOTE_STATE_BOOLS = ("disable_init", "disable_dependency_optimization")
_MISSING = object()


def read_unit(
    unit_dir: Path | str, run: Run | None = None, locals_values: Mapping[str, Any] | None = None
) -> Config:
    """The unit at `unit_dir` (its terragrunt.hcl) as Terragrunt configures it for `run`.

    `locals_values` stand in for the unit's own locals of those names (what a caller wants a
    local to be where Terraform runs elsewhere than Terragrunt would run it).
    """
    path = Path(unit_dir).resolve() / UNIT_CONFIG
    return Config(path, Context(run or Run(), path, path.parent), locals_values)


def render(unit_dir: Path | str, run: Run | None = None) -> dict[str, Any]:
    """`terragrunt render --json` of the unit: every key read out into plain data."""
    return plain(read_unit(unit_dir, run))


def read_config(path: Path | str, unit_dir: Path | str, run: Run | None = None) -> Any:
    """`read_terragrunt_config(path)` called from the unit at `unit_dir`."""
    unit_path = Path(unit_dir).resolve() / UNIT_CONFIG
    return _reader(Context(run or Run(), unit_path, unit_path.parent))(str(path))


def is_block(raw: Any) -> bool:
    """Whether python-hcl2 gave blocks (`kind {}` or `kind "label" {}`), not an attribute."""
    if not isinstance(raw, list) or not raw:
        return False
    for entry in raw:
        if not isinstance(entry, dict):
            return False
        bodies = [entry] if "__is_block__" in entry else list(entry.values())
        if not all(isinstance(body, dict) and "__is_block__" in body for body in bodies):
            return False
    return True


def labelled(doc: Mapping[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    """Blocks of one kind in file order as (label, body); a bare block's label is ""."""
    entries = doc.get(kind)
    if not is_block(entries):
        return []
    found = []
    for entry in entries:
        if "__is_block__" in entry:
            found.append(("", entry))
        else:
            found += [(label.strip('"'), body) for label, body in entry.items()]
    return found


def as_flag(value: Any, what: str) -> Any:
    """A bool given as a bool or as "true"/"false" (ternaries unify bools to strings)."""
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if value is not None and not isinstance(value, bool):
        raise EvaluationError(f"{what} must be a bool, not {value!r}")
    return value


def generate_block(name: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A generate block's fields as Terragrunt holds them: defaults filled, values checked."""
    found = {**GENERATE_DEFAULTS, **{k: v for k, v in body.items() if k != "__is_block__"}}
    for key in ("path", "if_exists", "contents"):
        if key not in found:
            raise MissingArgumentError(
                f'generate block "{name}": Missing required argument; the argument "{key}" is '
                "required"
            )
    for key in _GENERATE_BOOLS:
        found[key] = as_flag(found[key], f'generate "{name}" {key}')
    if found["if_exists"] not in IF_EXISTS:
        raise UnknownGenerateIfExistsVal(
            f'generate block "{name}": {found["if_exists"]} is not a valid value for generate '
            "if_exists"
        )
    if found["if_disabled"] not in IF_DISABLED:
        raise UnknownGenerateIfDisabledVal(
            f'generate block "{name}": {found["if_disabled"]} is not a valid value for generate '
            "if_disabled"
        )
    return found


def remote_state_block(body: Mapping[str, Any]) -> dict[str, Any]:
    """remote_state as Terragrunt holds it: `config` as written, string bools made bools."""
    if "backend" not in body:
        raise MissingArgumentError(
            'remote_state: Missing required argument; The argument "backend" is required'
        )
    found = {
        "backend": body["backend"],
        "disable_init": False,
        "disable_dependency_optimization": False,
        "generate": None,
        "config": {},
        "encryption": None,
    }
    found.update({k: v for k, v in body.items() if k != "__is_block__"})
    for key in _REMOTE_STATE_BOOLS:
        found[key] = as_flag(found[key], f"remote_state {key}")
    return found


def feature_value(given: str, default: Any) -> Any:
    """A `--feature name=value` as the type of the flag's default (bool, number, else text)."""
    if isinstance(default, bool):
        return given.strip().lower() == "true"
    if isinstance(default, int | float):
        try:
            return type(default)(given)
        except ValueError:
            raise EvaluationError(f"feature value {given!r} is not a number") from None
    return given


def _deep_merge(base: Any, override: Any) -> Any:
    """Terragrunt's deep merge: maps merged key by key, lists concatenated, else the override."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key in override:
            merged[key] = _deep_merge(base[key], override[key]) if key in base else override[key]
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return [*base, *override]
    return override


class _Cached(Mapping[str, Any]):
    """A Mapping whose values are computed by `_compute(key)` once, when first read."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._computing: set[str] = set()

    def _keys(self) -> list[str]:
        raise NotImplementedError

    def _compute(self, key: str) -> Any:
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            if key not in self._keys():
                raise KeyError(key)
            if key in self._computing:
                raise EvaluationError(f"{key} depends on itself")
            self._computing.add(key)
            try:
                self._values[key] = self._compute(key)
            finally:
                self._computing.discard(key)
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())


class FileConfig(_Cached):
    """One file's own blocks and attributes, evaluated in its context (no include merged in)."""

    def __init__(
        self,
        path: Path,
        doc: dict[str, Any],
        context: Context,
        dependencies: Mapping[str, Any],
        include: Mapping[str, Any] | None = None,
        locals_values: Mapping[str, Any] | None = None,
        features: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.path, self.doc, self.context = path, doc, context
        variables: dict[str, Any] = {"dependency": dependencies, "feature": features or {}}
        if include is not None:
            variables["include"] = include
        base = Scope(variables, context.functions(_reader(context)))
        self.locals = Locals(block(doc, "locals"), path.name, base, given=locals_values)
        self.scope = self.locals.scope
        self._dependencies = dependencies

    def missing(self, name: str) -> str:
        return f"{self.path.name} has no {name!r}"

    def _keys(self) -> list[str]:
        return [key for key in self.doc if key not in ("include", "feature", "__is_block__")]

    def _compute(self, key: str) -> Any:
        raw = self.doc[key]
        if key == "locals":
            return self.locals
        if key == "dependency":
            return {label: self._dependencies[label] for label, _ in labelled(self.doc, key)}
        if key == "generate":
            return self._generate(raw)
        if key == "remote_state":
            body = block(self.doc, key) if is_block(raw) else raw
            return remote_state_block(evaluate(body, self.scope))
        if key == "terraform":
            return self._terraform()
        if is_block(raw):  # other blocks: dependencies {}, exclude {}, ...
            return evaluate_lazily(block(self.doc, key), self.scope)
        return evaluate_lazily(raw, self.scope)

    def _generate(self, raw: Any) -> dict[str, Any]:
        if is_block(raw):
            blocks = labelled(self.doc, "generate")
            names = [name for name, _ in blocks]
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise DuplicatedGenerateBlocksError(repeated)
            items = {name: evaluate(body, self.scope) for name, body in blocks}
        else:
            items = evaluate(raw, self.scope)
        return {name: generate_block(name, body) for name, body in items.items()}

    def _terraform(self) -> dict[str, Any]:
        """The terraform block: attributes, and labelled sub-blocks (hooks) keyed by label."""
        found: dict[str, Any] = {}
        for entry in self.doc.get("terraform", []):
            for key, raw in entry.items():
                if key == "__is_block__":
                    continue
                if is_block(raw):
                    sub = found.setdefault(key, {})
                    for label, body in labelled(entry, key):
                        sub[label] = evaluate_lazily(body, self.scope)
                else:
                    found[key] = evaluate_lazily(raw, self.scope)
        return found


class Dependency(_Cached):
    """`dependency.<name>`: its block's fields, and `outputs` as the command sees them."""

    KEYS: ClassVar[dict[str, str]] = {
        "config_path": "config_path",
        "enabled": "enabled",
        "skip": "skip_outputs",
        "mock_outputs": "mock_outputs",
        "mock_outputs_allowed_terraform_commands": "mock_outputs_allowed_terraform_commands",
        "mock_outputs_merge_with_state": "mock_outputs_merge_with_state",
        "mock_outputs_merge_strategy_with_state": "mock_outputs_merge_strategy_with_state",
    }

    def __init__(self, name: str, body: Mapping[str, Any], declared_in: FileConfig) -> None:
        super().__init__()
        self.name, self.body, self.declared_in = name, body, declared_in

    def _keys(self) -> list[str]:
        return ["name", *(k for k, field in self.KEYS.items() if field in self.body), "outputs"]

    def _field(self, field: str, default: Any = None) -> Any:
        if field not in self.body:
            return default
        return evaluate(self.body[field], self.declared_in.scope)

    def _compute(self, key: str) -> Any:
        if key == "name":
            return self.name
        if key == "outputs":
            return self._outputs()
        return self._field(self.KEYS[key])

    def unit_dir(self) -> Path:
        """The dependency's unit folder, relative paths against the unit's folder."""
        if "config_path" not in self.body:
            raise MissingArgumentError(f'dependency "{self.name}": config_path is required')
        context = self.declared_in.context
        return context.path(self._field("config_path"), f'dependency "{self.name}" config_path')

    def _outputs(self) -> Any:
        context = self.declared_in.context
        command = context.run.command
        mocks = self._field("mock_outputs")
        allowed = self._field("mock_outputs_allowed_terraform_commands")
        mocks_allowed = mocks is not None and (allowed is None or command in allowed)
        if as_flag(self._field("skip_outputs"), "skip_outputs"):
            return mocks if mocks_allowed else {}
        unit_dir = self.unit_dir()
        outputs = context.run.outputs(unit_dir)
        if outputs is not None and not (type(outputs) is dict and not outputs):
            strategy = self._merge_strategy()
            if mocks_allowed and strategy != "no_merge":
                return merge_mocks(mocks, outputs, strategy)
            return outputs
        if mocks_allowed:
            return mocks
        raise DependencyNotAppliedError(
            f'resolving dependency "{self.name}" outputs: {unit_dir} is a dependency of '
            f"{context.original_dir} but detected no outputs. Either the target module has not "
            "been applied yet, or the module has no outputs. "
            f"Mock outputs are not allowed for {command!r} (dependency {self.name!r})"
        )

    def _merge_strategy(self) -> str:
        """How mocks join an applied dependency's outputs: `mock_outputs_merge_strategy_with_state`
        (no_merge, shallow, deep_map_only), else the older `mock_outputs_merge_with_state` bool."""
        strategy = self._field("mock_outputs_merge_strategy_with_state")
        if strategy is None:
            merge = as_flag(self._field("mock_outputs_merge_with_state"), "merge_with_state")
            return "shallow" if merge else "no_merge"
        if strategy in ("true", "false"):
            return "shallow" if strategy == "true" else "no_merge"
        if strategy not in MOCK_MERGE_STRATEGIES:
            raise EvaluationError(f"dependency {self.name!r}: unknown merge strategy {strategy!r}")
        return strategy


def merge_mocks(mocks: Any, outputs: Any, strategy: str) -> Any:
    """Mocks under the applied outputs: top-level keys (shallow), or maps key by key
    (deep_map_only, never lists); the state's value wins wherever both have one."""
    if not isinstance(mocks, Mapping) or not isinstance(outputs, Mapping):
        return outputs
    merged = dict(mocks)
    for key, value in outputs.items():
        if strategy == "deep_map_only" and isinstance(merged.get(key), Mapping):
            merged[key] = merge_mocks(merged[key], value, strategy)
        else:
            merged[key] = value
    return merged


class _Includes(Mapping[str, Any]):
    """`include`: exposed includes by label; a bare include's keys are also `include.<key>`."""

    def __init__(self, exposed: Mapping[str, FileConfig]) -> None:
        self.exposed = exposed

    def __getitem__(self, key: str) -> Any:
        if key in self.exposed:
            return self.exposed[key]
        if "" in self.exposed:
            return self.exposed[""][key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.exposed)

    def __len__(self) -> int:
        return len(self.exposed)

    def missing(self, name: str) -> str:
        return f"include {name!r} is not declared with expose = true"


class Config(_Cached):
    """A config file with its includes merged in, as Terragrunt evaluates it for a unit."""

    def __init__(
        self, path: Path, context: Context, locals_values: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.path = path
        doc = context.load(path)
        self.dependencies = Declared("dependency", {})
        functions = context.functions(_reader(context))
        includes: list[tuple[str, Path, dict[str, Any]]] = []
        for label, body in labelled(doc, "include"):
            if "path" not in body:
                raise MissingArgumentError(f'include "{label}": path is required')
            target = context.path(evaluate(body["path"], Scope({}, functions)), "include")
            settings = evaluate(
                {k: v for k, v in body.items() if k != "path"}, Scope({}, functions)
            )
            includes.append((label, target, settings))
        context = context.including({label: target for label, target, _ in includes})
        self.features = Declared("feature", {})
        for file_doc in [*(context.load(target) for _, target, _ in includes), doc]:
            for name, body in labelled(file_doc, "feature"):
                default = (
                    evaluate(body["default"], Scope({}, functions)) if "default" in body else None
                )
                given = context.run.features.get(name)
                value = default if given is None else feature_value(given, default)
                self.features[name] = {"value": value}
        self.includes: list[tuple[FileConfig, str]] = []
        exposed: dict[str, FileConfig] = {}
        for label, target, settings in includes:
            strategy = settings.get("merge_strategy", "shallow")
            if strategy not in MERGE_STRATEGIES:
                raise EvaluationError(f'include "{label}": unknown merge_strategy {strategy!r}')
            included = FileConfig(
                target,
                context.load(target),
                context.included(target),
                self.dependencies,
                features=self.features,
            )
            if as_flag(settings.get("expose", False), "expose"):
                exposed[label] = included
            if strategy != "no_merge":
                self.includes.append((included, strategy))
        self.own = FileConfig(
            path, doc, context, self.dependencies, _Includes(exposed), locals_values, self.features
        )
        self.locals = self.own.locals
        for file in [*(included for included, _ in self.includes), self.own]:
            for name, body in labelled(file.doc, "dependency"):
                self.dependencies[name] = Dependency(name, body, file)

    def missing(self, name: str) -> str:
        return f"{self.path.name} has no {name!r}"

    def _files(self) -> list[tuple[FileConfig, str]]:
        """The files to merge in order, each with how it merges onto those before it: an include
        by its own strategy, the unit's own file deeply when an include asks for it."""
        deep = any(strategy == "deep" for _, strategy in self.includes)
        return [*self.includes, (self.own, "deep" if deep else "shallow")]

    def _keys(self) -> list[str]:
        keys = dict.fromkeys(["locals", "inputs"])
        for file, _ in self._files():
            keys.update(dict.fromkeys(file))
        return list(keys)

    def _compute(self, key: str) -> Any:
        if key == "locals":
            return self.locals
        if key == "dependency":
            return dict(self.dependencies)
        merged: Any = _MISSING
        generated_by: dict[str, Path] = {}
        for file, strategy in self._files():
            if key not in file:
                continue
            value = file[key]
            if key == "generate":
                self._check_generate_names(file, value, generated_by)
            if merged is _MISSING:
                merged = value
            elif strategy == "deep":
                merged = _deep_merge(merged, value)
            elif key in ("inputs", "generate", "terraform") and isinstance(value, Mapping):
                merged = {**merged, **value}
            else:
                merged = value
        return {} if merged is _MISSING else merged

    def _check_generate_names(
        self, file: FileConfig, value: Mapping[str, Any], seen: dict[str, Path]
    ) -> None:
        """Two included files generating the same name is an error; the unit's own may override."""
        if file is not self.own:
            repeated = sorted(name for name in value if name in seen)
            if repeated:
                raise DuplicatedGenerateBlocksError(repeated)
            seen.update(dict.fromkeys(value, file.path))


def _reader(context: Context) -> Any:
    """`read_terragrunt_config(path[, default])` as called from `context`."""

    def read_terragrunt_config(path: Any, default: Any = _MISSING) -> Any:
        target = context.path(path, "read_terragrunt_config")
        if not context.exists(target):
            if default is not _MISSING:
                return default
            raise EvaluationError(f"read_terragrunt_config(): no file {target}")
        return Config(target, Context(context.run, target, context.original_dir))

    return read_terragrunt_config
