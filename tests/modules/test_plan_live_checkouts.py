"""live/prod planned from two checkouts at different paths: the same plan, a new account's caps.

Each checkout is a copy of the tree (root config, live/, modules/) at its own path, composed the
way plan tests compose units (`terragrunt.compose.compose_environment`, the checkout as `root`). The
lambda unit's before_hook is played as Terragrunt runs it: `counterstack build --output
<package_path>` in the directory Terraform runs in, so a relative path lands next to the root and
an absolute one wherever it points.
"""

import json
from pathlib import Path

import pytest

from counterstack.build import build_package
from counterstack.harness.plan import PlanSummary, plan_summary
from counterstack.paths import REPO_ROOT
from counterstack.terragrunt.compose import compose_environment
from counterstack.terragrunt.tree import copy_tree, with_alarm_subscriber

pytestmark = [pytest.mark.modules, pytest.mark.slow]  # two plans of prod: a regression check

FUNCTION = "module.lambda.aws_lambda_function.this"
SUBSCRIBER = "alarms@example.com"  # prod refuses to plan with nobody to tell
STAGE = "module.http_api.aws_apigatewayv2_stage.this"


def plan_prod(tree: Path, workdir: Path, endpoint: str, provider) -> PlanSummary:
    """Compose live/prod of `tree`, build the zip where the hook would, and plan it."""
    root = workdir / "compose" / "prod"
    root.mkdir(parents=True)
    config = compose_environment(tree / "live" / "prod", root=tree)
    (root / "main.tf.json").write_text(json.dumps(config, indent=2))
    build_package(root / config["module"]["lambda"]["package_path"])  # the before_hook, in cwd
    return plan_summary(root, workdir / "plan", endpoint=endpoint, provider=provider)


@pytest.fixture(scope="module")
def plans(
    tmp_path_factory: pytest.TempPathFactory, aws_endpoint: str, plan_provider
) -> list[PlanSummary]:
    """live/prod planned from a laptop-like and a runner-like checkout path."""
    paths = ("home/dev/src/visitor-counter", "runner/_work/visitor-counter/visitor-counter")
    base = tmp_path_factory.mktemp("checkouts")
    return [
        plan_prod(
            with_alarm_subscriber(copy_tree(REPO_ROOT, base / path), SUBSCRIBER),
            tmp_path_factory.mktemp(f"checkout{n}"),
            aws_endpoint,
            plan_provider,
        )
        for n, path in enumerate(paths)
    ]


def lambda_values(plan: PlanSummary) -> dict[str, dict]:
    return {a: v for a, v in plan.values.items() if a.startswith("module.lambda.")}


def test_the_lambda_plans_the_same_from_any_checkout_path(plans):
    first, second = map(lambda_values, plans)
    assert first[FUNCTION]["filename"] == "visitor_counter.zip"
    assert first == second


def test_prod_reserves_no_concurrency_so_a_new_account_can_apply(plans):
    """null in env.hcl reaches the module as its default, -1: no reservation is requested."""
    assert plans[0].values[FUNCTION]["reserved_concurrent_executions"] == -1


def test_prod_is_capped_by_its_stage_throttling(plans):
    settings = plans[0].values[STAGE]["default_route_settings"][0]
    assert settings["throttling_burst_limit"] > 0
    assert settings["throttling_rate_limit"] > 0
