"""Where a Terragrunt config is evaluated, and Terragrunt's functions as they answer there.

Terragrunt evaluates every config for the unit being run: in an included file
`get_terragrunt_dir()` is the including unit's folder and `get_parent_terragrunt_dir()` the
included file's, relative paths resolve against the unit's folder, and `find_in_parent_folders`
searches above it. A file read with `read_terragrunt_config()` is the exception: there
`get_terragrunt_dir()` is the read file's own folder, while `get_original_terragrunt_dir()` stays
the unit's. A `Context` carries those answers; a `Run` carries what lies outside the configs (the
command, the environment, the dependencies' outputs).
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from counterstack.terragrunt.errors import ParentFileNotFoundError
from counterstack.terragrunt.expressions import EvaluationError, Function
from counterstack.terragrunt.functions import BUILTINS
from counterstack.terragrunt.hcl import load_hcl

# The file find_in_parent_folders() looks for when given no name (Terragrunt's default).
DEFAULT_CONFIG = "terragrunt.hcl"
MAX_FOLDERS_TO_CHECK = 100
_MISSING = object()
# run_cmd's flags that change only how Terragrunt logs or caches the output, not the value.
RUN_CMD_FLAGS = {"--terragrunt-quiet", "--terragrunt-global-cache"}
RUN_CMD_TIMEOUT_SECONDS = 60


def _not_applied(unit_dir: Path) -> Mapping[str, Any] | None:
    return None


@dataclass(frozen=True)
class Run:
    """What Terragrunt was asked to run, and what it finds outside the configs.

    `outputs(unit_dir)` gives a dependency's outputs, None when it has not been applied.
    `stand_ins` answer for files (resolved path -> parsed doc), so a caller can ask what a config
    would mean if a file held something else, or existed at all.
    """

    command: str = "plan"
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    outputs: Callable[[Path], Any] = _not_applied
    repo_root: Path | None = None
    stand_ins: Mapping[Path, dict[str, Any]] = field(default_factory=dict)
    aws_account_id: Callable[[], str] | None = None
    features: Mapping[str, str] = field(default_factory=dict)  # --feature name=value


@dataclass(frozen=True)
class Context:
    """One config's evaluation: the file whose folder is get_terragrunt_dir(), and its includes."""

    run: Run
    config_path: Path  # the unit's config (for an included file too), or a read file
    original_dir: Path  # get_original_terragrunt_dir(): the unit being run
    includes: Mapping[str, Path] = field(default_factory=dict)  # label ("" bare) -> file
    parent: Path | None = None  # the included file being evaluated, if any

    @property
    def terragrunt_dir(self) -> Path:
        return self.config_path.parent

    def including(self, includes: Mapping[str, Path]) -> Context:
        return replace(self, includes=dict(includes))

    def included(self, path: Path) -> Context:
        return replace(self, parent=path)

    def path(self, value: Any, function: str) -> Path:
        """A path argument, relative ones against get_terragrunt_dir() as Terragrunt does."""
        if not isinstance(value, str):
            raise EvaluationError(f"{function}() takes a path string")
        return Path(os.path.normpath(self.terragrunt_dir / value))

    def exists(self, path: Path) -> bool:
        return path in self.run.stand_ins or path.is_file()

    def load(self, path: Path) -> dict[str, Any]:
        if path in self.run.stand_ins:
            return self.run.stand_ins[path]
        try:
            return load_hcl(path)
        except OSError as error:
            raise EvaluationError(f"cannot read {path}: {error.strerror}") from None
        except Exception as error:  # python-hcl2 raises lark's errors, which share no base
            raise EvaluationError(f"cannot parse {path}: {error}") from None

    def functions(self, read_config: Callable[..., Any]) -> dict[str, Function]:
        """Terraform's functions and Terragrunt's, answering for this context."""
        run = self.run
        return {
            **BUILTINS,
            "get_terragrunt_dir": lambda: str(self.terragrunt_dir),
            "get_original_terragrunt_dir": lambda: str(self.original_dir),
            "get_parent_terragrunt_dir": lambda *label: str(self._parent(*label).parent),
            "path_relative_to_include": lambda *label: self._relative(*label, to_include=True),
            "path_relative_from_include": lambda *label: self._relative(*label, to_include=False),
            "find_in_parent_folders": lambda *args: find_in_parent_folders(self.config_path, *args),
            "get_terraform_command": lambda: run.command,
            "get_terraform_cli_args": lambda: [run.command, *run.args],
            "get_env": lambda name, default="": run.env.get(name, default),
            "get_repo_root": self._repo_root,
            "get_aws_account_id": self._aws_account_id,
            "run_cmd": self._run_cmd,
            "file": lambda path: self._file(self.path(path, "file")),
            "fileexists": lambda path: self.exists(self.path(path, "fileexists")),
            "read_terragrunt_config": read_config,
        }

    def _parent(self, *label: str) -> Path:
        if label:
            if label[0] not in self.includes:
                raise EvaluationError(f"no include labelled {label[0]!r}")
            return self.includes[label[0]]
        if self.parent is not None:
            return self.parent
        if not self.includes:
            return self.config_path
        return self.includes.get("", next(iter(self.includes.values())))

    def _relative(self, *label: str, to_include: bool) -> str:
        if not self.includes and not label:
            return "."
        child, include = str(self.terragrunt_dir), str(self._parent(*label).parent)
        return (
            posixpath.relpath(child, include) if to_include else posixpath.relpath(include, child)
        )

    def _repo_root(self) -> str:
        if self.run.repo_root is not None:
            return str(self.run.repo_root)
        for folder in (self.terragrunt_dir, *self.terragrunt_dir.parents):
            if (folder / ".git").exists():
                return str(folder)
        raise EvaluationError(f"get_repo_root(): {self.terragrunt_dir} is not in a git repository")

    def _aws_account_id(self) -> str:
        if self.run.aws_account_id is None:
            raise EvaluationError("get_aws_account_id() asks AWS; this run was given no account")
        return self.run.aws_account_id()

    def _run_cmd(self, *args: Any) -> str:
        """Terragrunt runs the command while it reads the config, in the unit's folder: its
        stdout (less one trailing newline) is the value, and a failure stops the run with what
        the command wrote to stderr, which is how a config refuses with its own message."""
        words = [str(arg) for arg in args if arg not in RUN_CMD_FLAGS]
        if not words:
            raise EvaluationError("run_cmd() needs a command")
        try:
            result = subprocess.run(
                words,
                cwd=self.terragrunt_dir,
                env={"PATH": os.environ.get("PATH", ""), **self.run.env},
                capture_output=True,
                text=True,
                timeout=RUN_CMD_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise EvaluationError(f"run_cmd({words[0]}): {error}") from None
        if result.returncode != 0:
            said = result.stderr.strip() or f"exit status {result.returncode}"
            raise EvaluationError(f"{said} (run_cmd {words[0]} exited {result.returncode})")
        return result.stdout.removesuffix("\n")

    def _file(self, path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except OSError as error:
            raise EvaluationError(f"file(): cannot read {path}: {error.strerror}") from None


def find_in_parent_folders(
    config_path: Path | str,
    name: str = DEFAULT_CONFIG,
    fallback: Any = _MISSING,
    *,
    max_folders: int = MAX_FOLDERS_TO_CHECK,
) -> str:
    """Terragrunt's search from a config file: its folder's parents upward, the nearest match.

    The config's own folder is never probed; a folder matches as well as a file. Not found, the
    fallback is returned as given, else ParentFileNotFoundError (also past `max_folders`).
    """
    current = Path(config_path).parent
    for _ in range(max_folders):
        current = current.parent
        if (current / name).exists():
            return os.path.normpath(current / name)
        if current == current.parent:
            break
    if fallback is not _MISSING:
        return fallback
    raise ParentFileNotFoundError(
        f"could not find a {name} in any of the parent folders of {config_path}"
    )
