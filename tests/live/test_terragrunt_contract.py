"""Static contract checks of the Terragrunt tree: the real tree is clean, broken copies caught."""

import re
import shutil
from pathlib import Path

import pytest

from counterstack.paths import LIVE_DIR, REPO_ROOT
from counterstack.seed import SEED_ORIGINS
from counterstack.terragrunt.compose import compose_environment
from counterstack.terragrunt.contract import check_tree
from counterstack.terragrunt.contract_environment import REQUIRED_ENV_KEYS
from counterstack.terragrunt.contract_root import LOCKFILE_TERRAFORM, terraform_floor
from counterstack.terragrunt.hcl import block, blocks, literal, load_hcl
from counterstack.terragrunt.tree import with_alarm_subscriber

pytestmark = pytest.mark.live

ENVIRONMENTS = ("dev", "prod")
UNITS = ("dynamodb", "lambda", "http-api", "alarms")
CYCLE = ("dynamodb", "lambda", "http-api")  # the cycle a dependency of dynamodb on http-api makes
SITE_ORIGINS = list(SEED_ORIGINS)


def env_locals(env: str) -> dict:
    return block(load_hcl(LIVE_DIR / env / "env.hcl"), "locals")


def unit_doc(env: str, unit: str) -> dict:
    return load_hcl(LIVE_DIR / env / unit / "terragrunt.hcl")


def rendered(problems) -> str:
    return "\n".join(str(p) for p in problems)


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact snippet in a file, failing loudly if the snippet is not there."""
    text = path.read_text()
    assert old in text, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1))


def reported(tree: Path, unit: str, key: str, fragment: str) -> None:
    """check_tree reports a problem of this unit and key whose message contains the fragment."""
    problems = check_tree(tree)
    matches = [p for p in problems if p.unit == unit and p.key == key and fragment in p.message]
    assert matches, f"no {unit}: {key}: ...{fragment}... in\n{rendered(problems)}"


# --- the real tree ------------------------------------------------------------------------------


def test_real_tree_has_no_contract_problems():
    problems = check_tree(REPO_ROOT)
    assert problems == [], rendered(problems)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_duration_alarm_follows_the_functions_timeout(env):
    """The alarms unit reads the lambda unit's timeout output, not the module's default."""
    alarms = compose_environment(LIVE_DIR / env, root=REPO_ROOT)["module"]["alarms"]
    assert alarms["function_timeout"] == "${module.lambda.timeout}"


def test_prod_with_nobody_to_tell_is_refused_and_dev_says_nobody_is_on_purpose():
    """The alarms module refuses alarm_emails = [] unless allow_no_subscribers (its plan tests):
    prod passes both as env.hcl has them, so an empty list stops prod's plan; dev allows it."""
    prod = compose_environment(LIVE_DIR / "prod", root=REPO_ROOT)["module"]["alarms"]
    dev = compose_environment(LIVE_DIR / "dev", root=REPO_ROOT)["module"]["alarms"]
    assert prod["allow_no_subscribers"] is False
    assert (dev["alarm_emails"], dev["allow_no_subscribers"]) == ([], True)


def test_a_copy_for_tests_and_rehearsals_tells_someone_in_prod_only(tree: Path):
    with_alarm_subscriber(tree, "alarms@example.com")
    prod = compose_environment(tree / "live" / "prod", root=tree)["module"]["alarms"]
    dev = compose_environment(tree / "live" / "dev", root=tree)["module"]["alarms"]
    assert (prod["alarm_emails"], dev["alarm_emails"]) == (["alarms@example.com"], [])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_has_the_four_units_and_no_unit_at_its_own_level(env):
    assert sorted(p.parent.name for p in (LIVE_DIR / env).glob("*/terragrunt.hcl")) == sorted(UNITS)
    assert not (LIVE_DIR / env / "terragrunt.hcl").exists()
    assert not (LIVE_DIR / "terragrunt.hcl").exists()


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_lambda_unit_ships_the_handler_with_exactly_one_permission(env):
    doc = unit_doc(env, "lambda")
    inputs = doc["inputs"]
    assert literal(inputs["handler"]) == "visitor_counter.handler.handler"
    # TABLE_NAME over adopted.hcl's counter settings (test_adopted_inputs.py evaluates it)
    assert inputs["environment_variables"] == (
        '${merge(lookup(include.root.locals.unit_adopted_inputs, "environment_variables", {}), '
        "{TABLE_NAME = dependency.dynamodb.outputs.name})}"
    )
    assert inputs["policy_statements"] == [
        {
            "actions": ['"dynamodb:UpdateItem"'],
            "resources": ["${dependency.dynamodb.outputs.arn}"],
        }
    ]
    assert inputs["package_path"] == "${local.package_path}"
    hook = blocks(block(doc, "terraform"), "before_hook")["build_package"]
    assert [literal(a) for a in hook["execute"][:3]] == ["counterstack", "build", "--output"]
    assert hook["execute"][3] == "${local.package_path}"
    for command in ("validate", "plan", "apply", "destroy"):
        assert f'"{command}"' in hook["commands"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_lambda_zip_path_is_relative_to_the_working_directory_terraform_runs_in(env):
    """The same `filename` in state from every checkout: the hook builds it where Terraform runs."""
    doc = unit_doc(env, "lambda")
    assert literal(block(doc, "locals")["package_path"]) == "visitor_counter.zip"
    hook = blocks(block(doc, "terraform"), "before_hook")["build_package"]
    assert "working_dir" not in hook  # hooks of Terraform commands run in the working directory


def test_root_requires_the_terraform_that_use_lockfile_needs():
    """use_lockfile is GA in Terraform 1.11; the version mise installs satisfies the floor."""
    root = load_hcl(REPO_ROOT / "terragrunt.hcl")
    floor = terraform_floor(literal(root["terraform_version_constraint"]))
    assert floor == LOCKFILE_TERRAFORM == (1, 11)
    pinned = re.search(
        r'^terraform = "(\d+)\.(\d+)\.\d+"', (REPO_ROOT / "mise.toml").read_text(), re.M
    )
    assert pinned and (int(pinned[1]), int(pinned[2])) >= floor


def test_docs_state_the_terraform_live_needs():
    terragrunt_doc = (REPO_ROOT / "docs" / "terragrunt.md").read_text()
    assert "Terraform >= 1.11" in " ".join(terragrunt_doc.split())
    readme = (REPO_ROOT / "README.md").read_text()
    requirements = re.search(r"You need Python .*? on PATH", readme, re.S)
    assert requirements and ">= 1.11 for `live/`" in " ".join(requirements[0].split())


@pytest.mark.parametrize("unit", ["lambda", "http-api"])
def test_prod_mocks_dependencies_for_validate_only(unit):
    for body in blocks(unit_doc("prod", unit), "dependency").values():
        commands = [literal(c) for c in body["mock_outputs_allowed_terraform_commands"]]
        assert commands == ["validate"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_environment_reserves_concurrency_a_new_account_refuses(env):
    """A new account's quota of 10 has no room above the unreserved minimum: nothing reserved."""
    assert env_locals(env)["reserved_concurrent_executions"] is None
    assert "lambda_concurrency_quota" not in env_locals(env)


def test_prod_keeps_the_seed_names_and_protections():
    env = env_locals("prod")
    assert literal(env["table_name"]) == "visitor-counter"
    assert literal(env["function_name"]) == "visitorCounter"
    assert literal(env["stage_name"]) == "prod"
    assert [literal(o) for o in env["cors_allow_origins"]] == SITE_ORIGINS
    assert env["deletion_protection"] is True
    assert literal(env["aws_region"]) == "eu-west-1"


def test_dev_has_its_own_names_and_allows_the_local_demo_page():
    dev, prod = env_locals("dev"), env_locals("prod")
    for key in ("table_name", "function_name", "api_name"):
        assert literal(dev[key]) != literal(prod[key]), key
    origins = [literal(o) for o in dev["cors_allow_origins"]]
    assert origins[:2] == SITE_ORIGINS
    assert any(o.startswith("http://localhost:") for o in origins)
    assert literal(dev["aws_region"]) == "eu-west-1"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_env_hcl_has_every_required_key(env):
    assert set(REQUIRED_ENV_KEYS) <= set(env_locals(env))


def test_root_switch_points_at_the_local_account_without_skipping_the_account_lookup():
    text = (REPO_ROOT / "terragrunt.hcl").read_text()
    assert 'get_env("COUNTERSTACK_ENDPOINT", "")' in text
    provider = blocks(load_hcl(REPO_ROOT / "terragrunt.hcl"), "generate")["provider"]["contents"]
    assert "skip_requesting_account_id" not in provider
    assert "default_tags" in provider and "allowed_account_ids" in provider


# --- broken copies: each names the unit and the key ----------------------------------------------


def test_copy_of_the_tree_is_clean(tree: Path):
    assert check_tree(tree) == []


def test_wrong_input_name_is_reported_with_unit_and_key(tree: Path):
    edit(tree / "live/dev/lambda/terragrunt.hcl", "  handler ", "  handlr  ")
    reported(tree, "live/dev/lambda", "inputs.handlr", "not a variable of modules/lambda")
    reported(
        tree, "live/dev/lambda", "inputs.handler", "required variable of modules/lambda is not set"
    )


def test_common_input_unknown_to_a_module_is_reported_for_every_unit(tree: Path):
    owner = '  common_inputs = {\n    owner = "me"\n'
    edit(tree / "terragrunt.hcl", "  common_inputs = {\n", owner)
    problems = check_tree(tree)
    flagged = {p.unit for p in problems if p.key == "inputs.owner"}
    assert flagged == {f"live/{e}/{u}" for e in ENVIRONMENTS for u in UNITS}


def test_missing_mock_output_is_reported(tree: Path):
    edit(
        tree / "live/prod/lambda/terragrunt.hcl",
        '    arn  = "arn:aws:dynamodb:eu-west-1:123456789012:table/mock-visitor-counter"\n',
        "",
    )
    reported(
        tree, "live/prod/lambda", "dependency.dynamodb.mock_outputs.arn", "used but not mocked"
    )


def test_output_the_module_does_not_have_is_reported(tree: Path):
    edit(
        tree / "live/dev/lambda/terragrunt.hcl",
        "TABLE_NAME = dependency.dynamodb.outputs.name",
        "TABLE_NAME = dependency.dynamodb.outputs.table_name",
    )
    reported(
        tree,
        "live/dev/lambda",
        "dependency.dynamodb.outputs.table_name",
        "not an output of modules/dynamodb",
    )
    reported(
        tree,
        "live/dev/lambda",
        "dependency.dynamodb.mock_outputs.table_name",
        "used but not mocked",
    )


def test_mocks_must_cover_validate_and_plan(tree: Path):
    edit(
        tree / "live/dev/http-api/terragrunt.hcl",
        '["init", "validate", "plan", "destroy"]',
        '["init", "validate"]',
    )
    reported(
        tree,
        "live/dev/http-api",
        "dependency.lambda.mock_outputs_allowed_terraform_commands",
        "does not allow 'plan'",
    )


def test_dangling_dependency_path_is_reported(tree: Path):
    edit(
        tree / "live/dev/http-api/terragrunt.hcl",
        'config_path = "../lambda"',
        'config_path = "../lamda"',
    )
    reported(
        tree,
        "live/dev/http-api",
        "dependency.lambda.config_path",
        '"../lamda" is not a unit folder',
    )


def test_dependency_cycle_is_reported(tree: Path):
    path = tree / "live/dev/dynamodb/terragrunt.hcl"
    path.write_text(
        path.read_text()
        + '\ndependency "api" {\n  config_path = "../http-api"\n'
        + '  mock_outputs = { api_id = "x" }\n'
        + '  mock_outputs_allowed_terraform_commands = ["validate", "plan"]\n}\n'
    )
    problems = [p for p in check_tree(tree) if "dependency cycle" in p.message]
    assert len(problems) == 1, problems
    message = problems[0].message
    for unit in CYCLE:
        assert f"live/dev/{unit}" in message
    assert problems[0].key == "dependency"


def test_unit_missing_in_prod_is_reported(tree: Path):
    shutil.rmtree(tree / "live/prod/http-api")
    reported(
        tree, "live/prod/http-api", "terragrunt.hcl", "unit exists in live/dev but not in live/prod"
    )


def test_prod_without_deletion_protection_is_reported(tree: Path):
    edit(
        tree / "live/prod/env.hcl",
        "deletion_protection    = true",
        "deletion_protection    = false",
    )
    reported(tree, "live/prod/env.hcl", "locals.deletion_protection", "prod must keep it true")
    reported(tree, "live/prod/dynamodb", "inputs.deletion_protection", "prod tables must set true")


def test_missing_env_key_and_unknown_env_reference_are_reported(tree: Path):
    edit(tree / "live/dev/env.hcl", '  api_name      = "visitor-counter-dev"\n', "")
    reported(tree, "live/dev/env.hcl", "locals.api_name", "required key is missing")
    reported(
        tree,
        "live/dev/http-api",
        "include.root.locals.env.api_name",
        "env.hcl has no local 'api_name'",
    )


def test_include_that_misses_the_root_is_reported(tree: Path):
    edit(
        tree / "live/dev/dynamodb/terragrunt.hcl",
        'find_in_parent_folders("terragrunt.hcl")',
        'find_in_parent_folders("root.hcl")',
    )
    reported(tree, "live/dev/dynamodb", "include.root.path", "does not resolve")


def test_source_that_is_not_a_module_is_reported(tree: Path):
    edit(tree / "live/prod/http-api/terragrunt.hcl", "/modules/http-api", "/modules/api")
    reported(tree, "live/prod/http-api", "terraform.source", "is not a module folder")


def test_environment_folder_that_is_a_unit_is_reported(tree: Path):
    (tree / "live/dev/terragrunt.hcl").write_text(
        'include "root" {\n  path = "../../terragrunt.hcl"\n}\n'
    )
    reported(tree, "live/dev", "terragrunt.hcl", "an environment folder must not be a unit")


# --- what would fail or drift on an ordinary AWS account ------------------------------------------


def test_prod_reserving_concurrency_a_new_account_refuses_is_reported(tree: Path):
    edit(
        tree / "live/prod/env.hcl",
        "reserved_concurrent_executions = null",
        "reserved_concurrent_executions = 10",
    )
    reported(
        tree,
        "live/prod/env.hcl",
        "locals.reserved_concurrent_executions",
        "10 does not fit the account's concurrency quota of 10 (a new account's; "
        "lambda_concurrency_quota not set): AWS keeps min(quota, 100) unreserved, leaving 0",
    )


def test_a_reservation_must_fit_the_declared_quota_and_hold_the_burst(tree: Path):
    env = tree / "live/prod/env.hcl"
    edit(
        env,
        "reserved_concurrent_executions = null",
        "lambda_concurrency_quota = 1000\n  reserved_concurrent_executions = 901",
    )
    reported(tree, "live/prod/env.hcl", "locals.reserved_concurrent_executions", "leaving 900")
    edit(env, "reserved_concurrent_executions = 901", "reserved_concurrent_executions = 10")
    reported(
        tree,
        "live/prod/env.hcl",
        "locals.throttling_burst_limit",
        "20 must be a number <= reserved_concurrent_executions (10)",
    )
    edit(env, "reserved_concurrent_executions = 10", "reserved_concurrent_executions = 20")
    assert check_tree(tree) == []  # fits a 1,000 quota, and serves a burst of 20


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("reserved_concurrent_executions = 0", "locals.reserved_concurrent_executions"),
        (
            'lambda_concurrency_quota = "many"\n  reserved_concurrent_executions = 5',
            "locals.lambda_concurrency_quota",
        ),
    ],
)
def test_a_reservation_of_zero_or_an_unreadable_quota_is_reported(tree: Path, line, key):
    edit(tree / "live/dev/env.hcl", "reserved_concurrent_executions = null", line)
    reported(tree, "live/dev/env.hcl", key, "must be")


@pytest.mark.parametrize(
    ("constraint", "found"), [(None, "is missing"), ('">= 1.9"', "is '>= 1.9'")]
)
def test_root_that_admits_a_terraform_without_use_lockfile_is_reported(
    tree: Path, constraint, found
):
    replacement = "" if constraint is None else f"terraform_version_constraint = {constraint}"
    edit(tree / "terragrunt.hcl", 'terraform_version_constraint = ">= 1.11"', replacement)
    reported(tree, "terragrunt.hcl", "terraform_version_constraint", f"{found}: use_lockfile needs")


def test_prod_mocks_that_allow_plan_are_reported(tree: Path):
    edit(
        tree / "live/prod/http-api/terragrunt.hcl",
        'mock_outputs_allowed_terraform_commands = ["validate"]',
        'mock_outputs_allowed_terraform_commands = ["validate", "plan"]',
    )
    reported(
        tree,
        "live/prod/http-api",
        "dependency.lambda.mock_outputs_allowed_terraform_commands",
        "allows 'plan': a protected environment mocks for validate only",
    )


def test_input_that_depends_on_the_checkout_path_is_reported(tree: Path):
    edit(
        tree / "live/prod/lambda/terragrunt.hcl",
        'package_path = "visitor_counter.zip"',
        'package_path = "${get_repo_root()}/build/visitor_counter.zip"',
    )
    reported(
        tree,
        "live/prod/lambda",
        "inputs.package_path",
        "uses get_repo_root(): the value lands in state and differs between checkouts",
    )


def test_state_without_a_lock_file_or_a_key_per_unit_is_reported_for_each_unit(tree: Path):
    """Read as each unit renders its remote_state, however the root writes it."""
    edit(tree / "terragrunt.hcl", "use_lockfile = true", 'use_lockfile = "false"')
    edit(tree / "terragrunt.hcl", '"${path_relative_to_include()}/terraform.tfstate"', '"state"')
    problems = check_tree(tree)
    flagged = {p.unit for p in problems if p.key == "remote_state.config.use_lockfile"}
    assert flagged == {f"live/{e}/{u}" for e in ENVIRONMENTS for u in UNITS}
    shared = [p for p in problems if p.key == "remote_state.config.key"]
    assert len(shared) == len(ENVIRONMENTS) * len(UNITS) - 1, shared
    assert all("each unit needs its own key" in p.message for p in shared)
