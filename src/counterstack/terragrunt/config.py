"""Terragrunt configs as one unit's expressions see them, with Terragrunt's functions bound to it.

When a unit includes the root, Terragrunt evaluates the root's locals and inputs for that unit:
`get_terragrunt_dir()` is the unit's folder, `find_in_parent_folders` searches above it and
`path_relative_to_include()` is its path from the root. A `UnitContext` answers those functions and
reads the configs the unit's expressions reach (the include, `read_terragrunt_config(...)`) as
`Config`s whose locals and inputs are evaluated when first read. `stand_ins` answer for files, so
a caller can ask what a config would mean if a file held something else, or existed at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from counterstack.terragrunt.expressions import (
    BUILTINS,
    EvaluationError,
    Function,
    Locals,
    Scope,
    evaluate_lazily,
)
from counterstack.terragrunt.hcl import block, load_hcl
from counterstack.terragrunt.tree import ROOT_CONFIG, find_in_parent_folders, relative


@dataclass(frozen=True)
class UnitContext:
    """The unit whose configs are evaluated, the tree it belongs to, and files stood in for."""

    unit_dir: Path
    root: Path
    stand_ins: Mapping[Path, dict[str, Any]] = field(default_factory=dict)  # resolved path -> doc

    def scope(self) -> Scope:
        """Terraform's functions the root uses, and Terragrunt's as this unit sees them."""
        functions: dict[str, Function] = {
            **BUILTINS,
            "get_terragrunt_dir": lambda: str(self.unit_dir),
            "get_repo_root": lambda: str(self.root),  # the tree is the checkout
            "path_relative_to_include": lambda: relative(self.unit_dir, self.root),
            "find_in_parent_folders": self.find_in_parent_folders,
            "fileexists": lambda path: self._exists(self._path(path, "fileexists")),
            "read_terragrunt_config": self.read_config,
        }
        return Scope({}, functions)

    def _path(self, path: Any, function: str) -> Path:
        if not isinstance(path, str):
            raise EvaluationError(f"{function}() takes a path string")
        found = Path(path)
        return (found if found.is_absolute() else self.unit_dir / found).resolve()

    def _exists(self, path: Path) -> bool:
        return path in self.stand_ins or path.is_file()

    def find_in_parent_folders(self, name: str = ROOT_CONFIG) -> str:
        found = find_in_parent_folders(self.unit_dir, name, self.root)
        if found is None:
            unit = relative(self.unit_dir, self.root)
            raise EvaluationError(f"find_in_parent_folders: no {name} above {unit}")
        return str(found)

    def read_config(self, path: Any) -> Config:
        """`read_terragrunt_config(path)`: the config there, evaluated for this unit."""
        resolved = self._path(path, "read_terragrunt_config")
        if resolved in self.stand_ins:
            return Config(resolved, self.stand_ins[resolved], self)
        if not resolved.is_file():
            raise EvaluationError(
                f"read_terragrunt_config: no file {relative(resolved, self.root)}"
            )
        try:
            doc = load_hcl(resolved)
        except Exception as error:  # python-hcl2 raises lark's errors, which share no base
            raise EvaluationError(
                f"cannot parse {relative(resolved, self.root)}: {error}"
            ) from None
        return Config(resolved, doc, self)


class Config(Mapping[str, Any]):
    """One config file as another config reads it: its `locals` and `inputs`, each when read."""

    KEYS = ("locals", "inputs")

    def __init__(self, path: Path, doc: dict[str, Any], context: UnitContext) -> None:
        self.path = path
        self.doc = doc
        self.locals = Locals(block(doc, "locals"), path.name, context.scope())

    def __getitem__(self, key: str) -> Any:
        if key == "locals":
            return self.locals
        if key == "inputs":
            return evaluate_lazily(self.doc.get("inputs", {}), self.locals.scope)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)

    def missing(self, name: str) -> str:
        return f"{self.path.name}: this reader knows {' and '.join(self.KEYS)}, not {name!r}"
