"""Every live unit and account unit runs the root's exact aws provider, locked, and the lock
holds what is installed.

The lock files come from scripts/lock-providers (the provider-locks workflow refreshes them for
linux and macOS where the registry is reachable); here each unit's lock is checked offline:
`terraform init -lockfile=readonly` on the unit's module with the root's generated version pin
fails when the lock names another version or its hashes miss the installed package.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from counterstack.paths import REPO_ROOT
from counterstack.terraform_cli import terraform_env
from counterstack.terragrunt.hcl import block, blocks, literal, load_hcl
from counterstack.terragrunt.tree import account_units, discover_units, render_path

pytestmark = [pytest.mark.live, pytest.mark.slow]  # terraform init per unit

ROOT = REPO_ROOT / "terragrunt.hcl"
UNITS = discover_units(REPO_ROOT) + account_units(REPO_ROOT)
LOCK = ".terraform.lock.hcl"
PROVIDER = 'provider "registry.terraform.io/hashicorp/aws"'


def pinned_version() -> str:
    return literal(block(load_hcl(ROOT), "locals")["aws_provider_version"])


def version_override() -> str:
    """The root's generated provider_version file as Terragrunt writes it."""
    contents = blocks(load_hcl(ROOT), "generate")["provider_version"]["contents"]
    text = re.sub(r'^"?<<-?EOF\n|\n?EOF"?$', "", contents)
    return text.replace("${local.aws_provider_version}", pinned_version())


def test_the_pin_is_one_exact_release():
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned_version())
    assert f'version = "{pinned_version()}"' in version_override()


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_every_unit_commits_a_lock_of_exactly_the_pinned_release(unit: Path):
    path = unit / LOCK
    assert path.is_file(), f"{path.relative_to(REPO_ROOT)} is missing: run scripts/lock-providers"
    text = path.read_text()
    assert text.count("provider ") == 1 and PROVIDER in text
    assert f'version     = "{pinned_version()}"' in text
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(path)], cwd=REPO_ROOT, capture_output=True
    )
    assert tracked.returncode == 0, f"{path} is not committed: {tracked.stderr.decode().strip()}"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not on PATH")
@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_the_lock_installs_the_provider_at_hand(unit: Path, tmp_path: Path):
    source = render_path(
        block(load_hcl(unit / "terragrunt.hcl"), "terraform")["source"], unit, REPO_ROOT
    )
    work = shutil.copytree(source, tmp_path / "unit")
    (work / "provider_version_override.tf").write_text(version_override())
    shutil.copy(unit / LOCK, work / LOCK)
    run = subprocess.run(
        ["terraform", "init", "-backend=false", "-input=false", "-lockfile=readonly"],
        cwd=work,
        env={**os.environ, **terraform_env()},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (work / LOCK).read_text() == (unit / LOCK).read_text()
