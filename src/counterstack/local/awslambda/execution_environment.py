"""What a function's process sees: Lambda's interpreter, its runtime libraries, its variables.

The python3.12 runtime gives a function its zip (`/var/task`) plus what the runtime ships in
`/var/runtime`: AWS's runtime interface client (awslambdaric, with simplejson and
snapshot-restore-py) and boto3, botocore and their dependencies — not whatever the developer's
machine has. A worker runs an interpreter in isolated mode without `site` (`-I -S`), so the
project's venv (requests, moto, pytest…) is invisible; `sys.path` is the code folder, then a
runtime folder of its own holding those packages at pinned versions, installed from PyPI on
first use.

AWS no longer lists one SDK version per runtime: the version "depends on the runtime version and
your AWS Region" and a function should print `boto3.__version__` to learn it
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html#python-sdk-included). The pin
below is a recent release of the 1.x line; change it when a deployed function reports another.
AWS does not document which awslambdaric release its python3.12 image carries either (the image's
`/var/runtime` holds it; its changelog names no release): the pin is the newest on PyPI.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from counterstack.errors import CounterStackError
from counterstack.paths import REPO_ROOT

RUNTIME_PACKAGES = (
    "awslambdaric==4.2.2",
    "simplejson==4.3.0",  # awslambdaric's JSON (Decimal support), pinned for repeatable folders
    "boto3==1.38.36",
    "botocore==1.38.36",
)
RUNTIME_ROOT_ENV = "COUNTERSTACK_LAMBDA_RUNTIME_DIR"  # where runtime folders live
PYTHON_ENV = "COUNTERSTACK_LAMBDA_PYTHON"  # an interpreter to run functions with
DEFAULT_RUNTIME_ROOT = REPO_ROOT / ".cache" / "lambda-runtime"
# The endpoint variable the local account adds (AWS has none): boto3 >= 1.28.57 sends every
# client there, so the function's SDK calls reach the account without code changes.
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
# Lambda's PATH and LANG for python3.12 (configuration-envvars.html#configuration-envvars-runtime)
SYSTEM_PATH = "/usr/local/bin:/usr/bin/:/bin"
LANG = "en_US.UTF-8"
INSTALL_TIMEOUT_SECONDS = 300
READY_MARKER = ".installed"


class RuntimeUnavailable(CounterStackError):
    """The runtime's libraries could not be installed (no network to PyPI, no pip)."""


@functools.lru_cache(maxsize=8)
def interpreter(runtime: str) -> str:
    """The Python that runs `runtime` (python3.12): a real python3.12 if the machine has one.

    Falls back to the account's own interpreter (a version difference docs/local-account.md lists).
    pyenv shims are skipped: they fail unless the version is selected, so the version folders
    themselves are searched.
    """
    override = os.environ.get(PYTHON_ENV)
    if override:
        return override
    version = runtime.removeprefix("python")
    candidates = [shutil.which(f"python{version}") or ""]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python")))
    for candidate in candidates:
        if candidate and _runs_version(candidate, version):
            return candidate
    return sys.executable


def _runs_version(python: str, version: str) -> bool:
    try:
        return python_version(python) == version
    except (OSError, subprocess.SubprocessError):  # not runnable, failed or hung
        return False


def python_version(python: str) -> str:
    """`3.12` for a python3.12 interpreter (the runtime folder is per interpreter version)."""
    if python == sys.executable:
        return f"{sys.version_info[0]}.{sys.version_info[1]}"
    result = subprocess.run(
        [python, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return result.stdout.strip()


@functools.lru_cache(maxsize=8)
def runtime_dir(python: str) -> Path:
    """The folder holding the runtime's libraries for `python`, installed once (lock-protected).

    Several xdist workers may start at once: the first takes the lock and installs into a
    staging folder that is renamed when complete; the others wait on the lock, then find it.
    """
    root = Path(os.environ.get(RUNTIME_ROOT_ENV) or DEFAULT_RUNTIME_ROOT)
    pins = "_".join(package.replace("==", "-") for package in RUNTIME_PACKAGES)
    target = root / f"python{python_version(python)}" / pins
    if (target / READY_MARKER).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (target / READY_MARKER).is_file():
                _install(python, target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def _install(python: str, target: Path) -> None:
    staging = target.with_name(target.name + f".tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    # The project's pip installs for the runtime's Python version and this machine's platform:
    # awslambdaric and simplejson are binary wheels (cp312 manylinux), the rest pure Python.
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--no-compile", "--only-binary=:all:", "--target", str(staging)]
    command += ["--python-version", python_version(python), "--implementation", "cp"]
    command += list(RUNTIME_PACKAGES)
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RuntimeUnavailable(f"cannot install the Lambda runtime libraries: {error}") from error
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        last = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise RuntimeUnavailable(
            f"cannot install {' '.join(RUNTIME_PACKAGES)} into {target}: {last} "
            "(PyPI must be reachable once; or point COUNTERSTACK_LAMBDA_RUNTIME_DIR at a copy)"
        )
    # Bytecode for the runtime's own interpreter (workers run with -B and never write it):
    # without it every new worker compiles botocore again, seconds of CPU per cold start.
    subprocess.run(
        [python, "-I", "-S", "-m", "compileall", "-q", str(staging)],
        capture_output=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
    )
    (staging / READY_MARKER).write_text(" ".join(RUNTIME_PACKAGES) + "\n")
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(target)
    staging.replace(target)


def environment(
    *,
    python: str,
    runtime_root: Path,
    task_root: Path,
    function_variables: dict[str, str],
    lambda_variables: dict[str, str],
    endpoint: str,
) -> dict[str, str]:
    """The whole process environment of a worker: nothing is inherited from the account's.

    The function's own variables first, then Lambda's (which a function cannot override).
    """
    env = dict(function_variables)
    env.update(lambda_variables)
    env.update(
        {
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(runtime_root),
            "LANG": LANG,
            "TZ": ":UTC",
            "PATH": f"{Path(python).parent}:{SYSTEM_PATH}",
            ENDPOINT_VARIABLE: endpoint,
            # Local-only guards (AWS has no such files to read): never let the SDK pick up the
            # machine's own profiles or instance metadata instead of the role's session.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env
