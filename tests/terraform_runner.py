"""Terraform as the tests that drive it by hand run it: the project's CLI config, no colour,
and on a time-out a failure that shows what Terraform was waiting for."""

import os
import subprocess
from pathlib import Path

import pytest

from counterstack.terraform_cli import terraform_env

TERRAFORM_TIMEOUT = 300


def terraform(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """`terraform ARGS -no-color` in `workdir`; its exit code is the caller's to judge."""
    try:
        return subprocess.run(
            ["terraform", *args, "-no-color"],
            cwd=workdir,
            env={**os.environ, **terraform_env()},
            capture_output=True,
            text=True,
            timeout=TERRAFORM_TIMEOUT,
        )
    except subprocess.TimeoutExpired as error:
        # run() hands over the output so far as bytes; its "Still destroying... [id=…]" lines
        # name the resource Terraform was waiting for.
        output = [(o or b"").decode(errors="replace") for o in (error.stdout, error.stderr)]
        pytest.fail(f"terraform {args[0]} ran past {TERRAFORM_TIMEOUT} s:\n" + "\n".join(output))
