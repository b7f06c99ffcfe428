"""Fixtures of the plan-level tests: a local AWS endpoint, the Lambda zip, plans in private copies.

Every plan runs in its own temp copy, so `pytest -n auto` never shares a `.terraform`, and is
made once per run (`once_per_run`: under a lock in the run's temp root, which every xdist worker
sees). Terraform spends ~2 s of CPU per command loading the aws provider's schema before it plans
anything, so plans are batched: a test file's input sets of the modules are one plan
(`batch_plan`), and its validation cases one plan of the module's variables (`judged`); 20 module
plans became 6, and ~110 validation plans ~15. `aws_endpoint`, `plan_provider` (one provider
process per worker), `run_root` and `package_path` come from tests/conftest.py.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from run_cache import once_per_run

from counterstack.harness.plan import PlanSummary, plan_summary
from counterstack.harness.plan_batch import Variant, batched_plans, batched_variable_errors


@pytest.fixture(scope="session")
def shared_plan(
    tmp_path_factory: pytest.TempPathFactory, aws_endpoint: str, plan_provider, run_root: Path
) -> Callable[..., PlanSummary]:
    """`shared_plan(key, module_dir, **variables)`: planned once per run, read by many tests."""

    def run(key: str, module_dir: Path, **variables: Any) -> PlanSummary:
        def make() -> PlanSummary:
            tmp_dir = tmp_path_factory.mktemp(key)
            return plan_summary(
                module_dir, tmp_dir, endpoint=aws_endpoint, provider=plan_provider, **variables
            )

        return once_per_run(run_root, key, make)

    return run


@pytest.fixture(scope="session")
def batch_plan(
    tmp_path_factory: pytest.TempPathFactory, aws_endpoint: str, plan_provider, run_root: Path
) -> Callable[[str, dict[str, Variant]], dict[str, PlanSummary]]:
    """`batch_plan(key, {variant: (module_dir, inputs)})`: the variants planned together in one
    Terraform plan, once per run; a summary per variant, as if its module were planned alone."""

    def run(key: str, variants: dict[str, Variant]) -> dict[str, PlanSummary]:
        def make() -> dict[str, PlanSummary]:
            tmp_dir = tmp_path_factory.mktemp(key)
            return batched_plans(variants, tmp_dir, endpoint=aws_endpoint, provider=plan_provider)

        return once_per_run(run_root, key, make)

    return run


@pytest.fixture(scope="session")
def judged(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., dict[str, str]]:
    """`judged(module_dir, {case: inputs})`: each case's validation errors ("" if it passes),
    all judged by one plan of the module's variables."""

    def run(module_dir: Path, cases: dict[str, dict[str, Any]]) -> dict[str, str]:
        tmp_dir = tmp_path_factory.mktemp(f"{Path(module_dir).name}-judged")
        return batched_variable_errors(module_dir, cases, tmp_dir)

    return run
