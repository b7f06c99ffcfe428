"""A unit's working copy, as Terragrunt 1.x makes one for every unit.

Terragrunt always copies: the module named by `terraform.source` (else the unit folder itself)
goes to `<unit>/.terragrunt-cache/<hash>/<hash>/`, the unit's own files on top, and Terraform and
hooks run there. The copy keeps what Terraform left in it (`.terraform`, local state), so a later
command, or a dependent reading outputs, finds the same state. The generated files
(`generate` blocks and the backend file) are written into it by `codegen`.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from counterstack.terragrunt.codegen import CACHE_DIR, backend_file, write_generated
from counterstack.terragrunt.expressions import EvaluationError

KEPT = (CACHE_DIR, ".terraform", ".terraform.lock.hcl", "terraform.tfstate", ".git")


class SourceDownloadError(EvaluationError):
    """`terraform.source` names nothing that can be copied (Terragrunt's init-from-module)."""


def _copy_into(source: Path, target: Path) -> None:
    """Files of `source` over `target`, leaving what Terraform keeps in `target` alone."""
    for item in source.iterdir():
        if item.name in KEPT or item.name.startswith(".terragrunt"):
            continue
        if item.is_dir():
            _copy_into(item, target / item.name)
        else:
            (target / item.name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, target / item.name)


def copy_dir(unit_dir: Path, source: str | None) -> tuple[Path, Path]:
    """Where the unit's copy lives (a pure function of the unit and its source): the copy of the
    module root, and the folder in it where Terraform runs (`//subdir` of the source)."""
    root = _module_root(unit_dir, source)
    digest = hashlib.sha256(f"{unit_dir}\0{root}".encode()).hexdigest()
    base = unit_dir / CACHE_DIR / digest[:27] / digest[27:54]
    subdir = source.partition("//")[2] if source else ""
    return base, base / subdir if subdir else base


def _module_root(unit_dir: Path, source: str | None) -> Path:
    if not source:
        return unit_dir
    root = source.partition("//")[0]
    return (unit_dir / root).resolve() if root else unit_dir


def working_copy(unit_dir: Path, config: Mapping[str, Any]) -> Path:
    """The unit's working copy brought up to date, generated files written; where Terraform runs."""
    unit_dir = Path(unit_dir)
    source = (config.get("terraform") or {}).get("source")
    root = _module_root(unit_dir, source)
    if not root.is_dir():
        raise SourceDownloadError(
            f"downloading source {source!r} into {unit_dir / CACHE_DIR}: no such folder {root}"
        )
    base, workdir = copy_dir(unit_dir, source)
    base.mkdir(parents=True, exist_ok=True)
    _copy_into(root, base)
    workdir.mkdir(parents=True, exist_ok=True)
    if root != unit_dir:
        for item in unit_dir.iterdir():
            if item.is_file() and not item.name.startswith(".terragrunt"):
                shutil.copy2(item, workdir / item.name)
    generate_files(config, workdir)
    return workdir


def generate_files(config: Mapping[str, Any], workdir: Path) -> None:
    backend = backend_file(config["remote_state"]) if config.get("remote_state") else None
    for block in [*(config.get("generate") or {}).values(), *([backend] if backend else [])]:
        write_generated(workdir, block)
