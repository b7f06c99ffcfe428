"""Terragrunt's own errors, named as Terragrunt names them, so a caller can tell them apart.

Each is an EvaluationError (it stops the config from being read) whose class name is the Go type
Terragrunt raises and whose message says what Terragrunt says.
"""

from __future__ import annotations

from counterstack.terragrunt.expressions import EvaluationError


class ParentFileNotFoundError(EvaluationError):
    """find_in_parent_folders() found nothing and was given no fallback."""


class DependencyNotAppliedError(EvaluationError):
    """A dependency has no outputs and its mocks are not allowed for this command."""


class DuplicatedGenerateBlocksError(EvaluationError):
    """Two generate blocks share a name (in one file, or in two included files)."""

    def __init__(self, block_names: list[str], expression: str | None = None) -> None:
        super().__init__(f"Detected generate blocks with the same name: {block_names}", expression)
        self.block_names = block_names


class UnknownGenerateIfExistsVal(EvaluationError):
    """A generate block's if_exists is not one Terragrunt knows."""


class UnknownGenerateIfDisabledVal(EvaluationError):
    """A generate block's if_disabled is not one Terragrunt knows."""


class GenerateFileExistsError(EvaluationError):
    """A file to generate exists and if_exists refuses to replace it."""


class GenerateFileRemoveError(EvaluationError):
    """A disabled generate block would remove a file Terragrunt did not write."""


class MissingArgumentError(EvaluationError):
    """A block lacks a required argument (remote_state without backend, generate without path)."""
