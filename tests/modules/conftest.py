"""Fixtures of the plan-level tests: a local AWS endpoint, the Lambda zip, plans in private copies.

Every plan runs in its own temp copy of the module, so `pytest -n auto` never shares a
`.terraform`. A plan that several tests read is made once per run (`shared_plan`), under a lock
in the run's temp root, which every xdist worker sees.
"""

import fcntl
import pickle
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from counterstack.build import build_package
from counterstack.harness.plan import (
    PlanSummary,
    local_aws_server,
    plan_error,
    plan_summary,
    variable_errors,
)


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """A moto server on a free loopback port, one per xdist worker: STS answers for the plan."""
    with local_aws_server() as url:
        yield url


@pytest.fixture(scope="session")
def run_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder shared by every worker of this run (the xdist-documented pattern)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


def _once(run_root: Path, key: str, make: Callable[[], Any]) -> Any:
    """`make()` once per run across workers; others wait on the lock and read the pickle."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", key)
    cache = run_root / "shared-plans"
    cache.mkdir(exist_ok=True)
    result_file = cache / f"{safe}.pickle"
    with (cache / f"{safe}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if result_file.exists():
            return pickle.loads(result_file.read_bytes())
        result = make()
        result_file.write_bytes(pickle.dumps(result))
        return result


@pytest.fixture(scope="session")
def package_path(run_root: Path) -> str:
    """The Lambda zip, built once per run into the run's temp folder."""
    zip_path = run_root / "package" / "visitor_counter.zip"
    _once(run_root, "package", lambda: str(build_package(zip_path).path))
    return str(zip_path)


@pytest.fixture
def plan(tmp_path_factory: pytest.TempPathFactory, aws_endpoint: str) -> Callable[..., PlanSummary]:
    """`plan(module_dir, **variables)`: a plan in a fresh private copy."""

    def run(module_dir: Path, **variables: Any) -> PlanSummary:
        tmp_dir = tmp_path_factory.mktemp(Path(module_dir).name)
        return plan_summary(module_dir, tmp_dir, endpoint=aws_endpoint, **variables)

    return run


@pytest.fixture
def failed_plan(tmp_path_factory: pytest.TempPathFactory, aws_endpoint: str) -> Callable[..., str]:
    """`failed_plan(module_dir, **variables)`: Terraform's error output of a plan that must fail."""

    def run(module_dir: Path, **variables: Any) -> str:
        tmp_dir = tmp_path_factory.mktemp(Path(module_dir).name)
        return plan_error(module_dir, tmp_dir, endpoint=aws_endpoint, **variables)

    return run


@pytest.fixture(scope="session")
def shared_plan(
    tmp_path_factory: pytest.TempPathFactory, aws_endpoint: str, run_root: Path
) -> Callable[..., PlanSummary]:
    """`shared_plan(key, module_dir, **variables)`: planned once per run, read by many tests."""

    def run(key: str, module_dir: Path, **variables: Any) -> PlanSummary:
        def make() -> PlanSummary:
            tmp_dir = tmp_path_factory.mktemp(key)
            return plan_summary(module_dir, tmp_dir, endpoint=aws_endpoint, **variables)

        return _once(run_root, key, make)

    return run


@pytest.fixture
def rejected(tmp_path: Path) -> Callable[..., str]:
    """`rejected(module_dir, **variables)`: the variables' validation errors, "" if none."""

    def run(module_dir: Path, **variables: Any) -> str:
        return variable_errors(module_dir, tmp_path, **variables)

    return run
