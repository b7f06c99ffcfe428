"""The tools a command needs, checked before it starts anything: one line that says what to install.

Terraform must be on PATH and at least the modules' `required_version`; without it `up` used to
start the account and then fail in a long traceback. Lambda functions run on python3.12 when the
machine has one; otherwise on this Python, which is worth a warning (not an error): the local
account still works, with the version difference docs/local-account.md lists.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable

from counterstack.errors import CounterStackError

MIN_TERRAFORM = (1, 9)  # modules/*/versions.tf: required_version = ">= 1.9"
LAMBDA_RUNTIME = "python3.12"
INSTALL_TERRAFORM = "install Terraform >= 1.9 (`mise install` pins it; or see terraform.io)"


def terraform_version() -> tuple[int, ...]:
    """The version of the `terraform` on PATH; a CounterStackError saying what to install."""
    binary = shutil.which("terraform")
    if binary is None:
        raise CounterStackError(f"terraform is not on PATH: {INSTALL_TERRAFORM}")
    try:
        result = subprocess.run(
            [binary, "version", "-json"], capture_output=True, text=True, timeout=60, check=True
        )
        text = json.loads(result.stdout)["terraform_version"]
        version = tuple(int(part) for part in text.split("-")[0].split("."))
    except (OSError, subprocess.SubprocessError, ValueError, KeyError) as error:
        raise CounterStackError(f"{binary} version failed ({error}): {INSTALL_TERRAFORM}") from None
    return version


def check_terraform() -> None:
    """Terraform present and new enough, or one line that says what to install."""
    version = terraform_version()
    if version < MIN_TERRAFORM:
        found = ".".join(map(str, version))
        raise CounterStackError(f"terraform {found} is too old: {INSTALL_TERRAFORM}")


def lambda_python_warning(interpreter: Callable[[str], str]) -> str | None:
    """A one-line warning when no python3.12 runs the functions: `interpreter` (the runtime's
    choice, passed in so this module stays below `local`) fell back to this Python."""
    if interpreter(LAMBDA_RUNTIME) != sys.executable or sys.version_info[:2] == (3, 12):
        return None
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return (
        f"warning: no {LAMBDA_RUNTIME} on this machine: Lambda functions run on this Python "
        f"{here} instead; install python3.12 to run them on the runtime's version"
    )


def warn_lambda_python(interpreter: Callable[[str], str]) -> None:
    warning = lambda_python_warning(interpreter)
    if warning:
        print(warning, file=sys.stderr, flush=True)
