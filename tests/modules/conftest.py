"""Fixtures of the plan-level tests: a local AWS endpoint, the Lambda zip, plans in private copies.

Every plan runs in its own temp copy of the module, so `pytest -n auto` never shares a
`.terraform`. A plan that several tests read is made once per run (`shared_plan`), under a lock
in the run's temp root, which every xdist worker sees. `aws_endpoint`, `run_root` and
`package_path` come from tests/conftest.py.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from run_cache import once_per_run

from counterstack.harness.plan import PlanSummary, plan_error, plan_summary, variable_errors


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

        return once_per_run(run_root, key, make)

    return run


@pytest.fixture
def rejected(tmp_path: Path) -> Callable[..., str]:
    """`rejected(module_dir, **variables)`: the variables' validation errors, "" if none."""

    def run(module_dir: Path, **variables: Any) -> str:
        return variable_errors(module_dir, tmp_path, **variables)

    return run
