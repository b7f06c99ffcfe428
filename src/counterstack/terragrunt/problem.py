"""A broken contract of the Terragrunt tree, as the static checks report it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One broken contract: where (`unit`, a path relative to the tree root), which key, and why."""

    unit: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.unit}: {self.key}: {self.message}"
