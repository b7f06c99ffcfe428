"""Fixtures of the live layer: throwaway copies of the Terragrunt tree for tests to break."""

import shutil
from pathlib import Path

import pytest

from counterstack.paths import REPO_ROOT

TREE_PARTS = ("terragrunt.hcl", "live", "modules")
IGNORED = shutil.ignore_patterns(".terragrunt-cache", ".terraform", "*.tfstate*", "__pycache__")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the root config, live/ and modules/ that a test may break at will."""
    for part in TREE_PARTS:
        source = REPO_ROOT / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part, ignore=IGNORED)
        else:
            shutil.copy2(source, tmp_path / part)
    return tmp_path
