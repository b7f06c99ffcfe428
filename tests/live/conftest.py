"""Fixtures of the live layer: throwaway copies of the Terragrunt tree for tests to break."""

from pathlib import Path

import pytest

from counterstack.paths import REPO_ROOT
from counterstack.terragrunt.tree import copy_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the root config, live/ and modules/ that a test may break at will."""
    return copy_tree(REPO_ROOT, tmp_path)
