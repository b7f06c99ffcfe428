"""Terraform as the tests that drive it by hand run it: the project's CLI config, no colour,
and on a time-out a failure that shows what Terraform was waiting for.

`TerraformRunner` binds a target: its `AWS_ENDPOINT_URL` (so the roots need no `endpoints`
block, ~2 s per provider configuration) and, if the worker shares one, its aws provider process
(every command reattaches instead of starting the provider 3-5 times).
"""

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from counterstack.harness.provider_process import SharedProvider, reattached
from counterstack.harness.target import Target
from counterstack.terraform_cli import terraform_env

TERRAFORM_TIMEOUT = 300


def terraform(
    workdir: Path,
    *args: str,
    env: Mapping[str, str] = {},
    provider: SharedProvider | None = None,
) -> subprocess.CompletedProcess:
    """`terraform ARGS -no-color` in `workdir`; its exit code is the caller's to judge."""
    with reattached(provider) as reattach:
        try:
            return subprocess.run(
                ["terraform", *args, "-no-color"],
                cwd=workdir,
                env={**os.environ, **terraform_env(), **env, **reattach},
                capture_output=True,
                text=True,
                timeout=TERRAFORM_TIMEOUT,
            )
        except subprocess.TimeoutExpired as error:
            # run() hands over the output so far as bytes; its "Still destroying... [id=…]"
            # lines name the resource Terraform was waiting for.
            output = [(o or b"").decode(errors="replace") for o in (error.stdout, error.stderr)]
            pytest.fail(
                f"terraform {args[0]} ran past {TERRAFORM_TIMEOUT} s:\n" + "\n".join(output)
            )


@dataclass(frozen=True)
class TerraformRunner:
    """Terraform against one target, through the worker's shared provider when there is one.

    Every command of a folder must go through the same runner: a reattached `init` writes no
    lock file, so a later command without the provider would ask for `terraform init` again.
    """

    target: Target
    provider: SharedProvider | None = None

    def __call__(self, workdir: Path, *args: str) -> subprocess.CompletedProcess:
        return terraform(workdir, *args, env=self.target.terraform_env(), provider=self.provider)

    @contextmanager
    def environment(self) -> Iterator[dict[str, str]]:
        """What a program that runs Terraform itself in this runner's folders needs in its
        environment (e.g. `counterstack adopt --removed-from`); the provider is held meanwhile."""
        with reattached(self.provider) as reattach:
            yield {**self.target.terraform_env(), **reattach}

    def ok(self, workdir: Path, *args: str) -> str:
        """Its stdout; a test failure with Terraform's output when it exits non-zero."""
        result = self(workdir, *args)
        assert result.returncode == 0, (
            f"terraform {args[0]} failed:\n{result.stdout}\n{result.stderr}"
        )
        return result.stdout
