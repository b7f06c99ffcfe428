"""Fixtures of the plan-level tests: a local AWS endpoint, the Lambda zip, plans in private copies.

Every plan runs in its own temp copy, so `pytest -n auto` never shares a `.terraform`, and is
made once per run (`once_per_run`: under a lock in the run's temp root, which every xdist worker
sees). Terraform spends ~2 s of CPU per command loading the aws provider's schema before it plans
anything, so plans are batched: the module input sets every test file declares (its
`planned(package_path)`) are one plan (`all_module_plans`; a file reads its own as `plans`), and a
file's validation cases one plan of the module's variables (`judged`): 20 module plans became 1,
and ~110 validation plans ~15. `aws_endpoint`, `plan_provider` (one provider
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
def all_module_plans(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    aws_endpoint: str,
    plan_provider,
    run_root: Path,
    package_path: str,
) -> dict[str, dict[str, PlanSummary]]:
    """Every collected test file's `planned(package_path)` input sets, planned together in one
    Terraform plan once per run (every xdist worker collects the same files); the summaries by
    file, then by the file's own names for its sets."""
    files = {item.module.__name__: item.module for item in request.session.items}
    files = {name: module for name, module in files.items() if hasattr(module, "planned")}
    variants: dict[str, Variant] = {}
    owners: dict[str, tuple[str, str]] = {}  # module block of the one root -> (file, set)
    for name, module in sorted(files.items()):
        for key, variant in module.planned(package_path).items():
            block = f"{name.rsplit('.', 1)[-1]}__{key}"
            variants[block], owners[block] = variant, (name, key)

    def make() -> dict[str, PlanSummary]:
        tmp_dir = tmp_path_factory.mktemp("module-plans")
        return batched_plans(variants, tmp_dir, endpoint=aws_endpoint, provider=plan_provider)

    plans: dict[str, dict[str, PlanSummary]] = {name: {} for name in files}
    for block, summary in once_per_run(run_root, "module-plans", make).items():
        name, key = owners[block]
        plans[name][key] = summary
    return plans


@pytest.fixture(scope="module")
def plans(request: pytest.FixtureRequest, all_module_plans) -> dict[str, PlanSummary]:
    """This test file's plans: the input sets its `planned(package_path)` declares."""
    return all_module_plans[request.module.__name__]


@pytest.fixture(scope="session")
def judged(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., dict[str, str]]:
    """`judged(module_dir, {case: inputs})`: each case's validation errors ("" if it passes),
    all judged by one plan of the module's variables."""

    def run(module_dir: Path, cases: dict[str, dict[str, Any]]) -> dict[str, str]:
        tmp_dir = tmp_path_factory.mktemp(f"{Path(module_dir).name}-judged")
        return batched_variable_errors(module_dir, cases, tmp_dir)

    return run
