"""The account units (accounts/<account>/identities): the roles every workflow environment assumes,
wired from the environment's env.hcl, kept in that account's state bucket under a key of their own,
and out of reach of promotion, which runs every unit of live/<env> with the deploy role.

Each unit is read as Terragrunt reads it (`terragrunt.unit.render`); a real Terraform plan of one
runs in tests/live/test_account_unit_plan.py.
"""

from pathlib import Path

import hcl2
import pytest
import yaml

from counterstack.paths import LIVE_DIR, MODULES_DIR, REPO_ROOT
from counterstack.terragrunt.config import Run
from counterstack.terragrunt.hcl import block, literal, load_hcl
from counterstack.terragrunt.tree import (
    account_units,
    discover_units,
    environment_units,
    relative,
    with_account_ids,
)
from counterstack.terragrunt.unit import render

pytestmark = pytest.mark.live

ACCOUNT = "111122223333"  # what STS would answer on AWS
LOCAL = {"COUNTERSTACK_ENDPOINT": "http://127.0.0.1:4566"}
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
IDENTITIES = MODULES_DIR / "identities"
# The kind of role each workflow environment's jobs need (their comments in the workflows say why).
KINDS = {
    "dev": "deploy",
    "nightly": "nightly",
    "prod-plan": "plan",
    "prod": "apply",
    "prod-drift": "drift",
}
UNITS = account_units(REPO_ROOT)


def rendered(unit_dir: Path, env: dict[str, str], root: Path = REPO_ROOT) -> dict:
    run = Run(
        command="plan",
        env=env,
        repo_root=root,
        aws_account_id=lambda: ACCOUNT,
        stand_ins=with_account_ids(root, ACCOUNT),  # prod's guard wants its account named
    )
    return render(unit_dir, run)


def environment_of(unit_dir: Path) -> str:
    return unit_dir.parent.name  # accounts/<environment whose account it is>/identities


def workflow_sessions() -> dict[str, int]:
    """Every `environment:` a job of the workflows declares (a name, or {name: ...}), with the
    longest session its jobs ask configure-aws-credentials for (AWS's default: an hour)."""
    sessions: dict[str, int] = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in (yaml.safe_load(path.read_text()).get("jobs") or {}).values():
            environment = job.get("environment")
            if environment is None:
                continue
            name = environment["name"] if isinstance(environment, dict) else environment
            asked = [
                int(step.get("with", {}).get("role-duration-seconds", 3600))
                for step in job.get("steps", [])
                if "configure-aws-credentials" in step.get("uses", "")
            ]
            sessions[name] = max([sessions.get(name, 0), *asked])
    return sessions


def unit_roles() -> dict[str, dict]:
    """Every role of every account unit, by environment; an environment in two units fails."""
    roles: dict[str, dict] = {}
    for unit in UNITS:
        for environment, role in rendered(unit, LOCAL)["inputs"]["roles"].items():
            assert environment not in roles, f"{environment} has a role in two units"
            roles[environment] = role
    return roles


def test_there_is_one_identities_unit_per_account():
    assert [relative(u, REPO_ROOT) for u in UNITS] == [
        "accounts/dev/identities",
        "accounts/prod/identities",
    ]


def test_every_environment_a_workflow_names_has_exactly_one_role_of_its_kind():
    roles = unit_roles()
    assert set(roles) == set(workflow_sessions())
    assert {environment: role["kind"] for environment, role in roles.items()} == KINDS


def test_every_role_allows_the_session_its_jobs_ask_for():
    roles = unit_roles()
    for environment, asked in workflow_sessions().items():
        allowed = roles[environment].get("max_session_duration", 3600)  # the module's default
        assert asked <= allowed, f"{environment}: jobs ask {asked} s, the role allows {allowed} s"


@pytest.mark.parametrize("local", [True, False], ids=["local", "aws"])
@pytest.mark.parametrize("unit", UNITS, ids=environment_of)
def test_state_lives_in_the_accounts_bucket_under_the_units_own_key(unit, local):
    config = rendered(unit, LOCAL if local else {})
    state = config["remote_state"]["config"]
    account = "123456789012" if local else ACCOUNT
    bucket = f"counterstack-tfstate-{account}-{environment_of(unit)}"
    assert state["bucket"] == bucket
    assert state["key"] == f"{relative(unit, REPO_ROOT)}/terraform.tfstate"
    assert state["use_lockfile"] is True
    # the roles it makes reach the environment's keys only, never this one
    assert config["inputs"]["state_bucket"] == bucket
    assert config["inputs"]["state_key_prefix"] == f"live/{environment_of(unit)}/"
    assert not state["key"].startswith(config["inputs"]["state_key_prefix"])


@pytest.mark.parametrize("unit", UNITS, ids=environment_of)
def test_the_stacks_names_come_from_the_environments_env_hcl(unit):
    env = {
        k: literal(v)
        for k, v in block(load_hcl(LIVE_DIR / environment_of(unit) / "env.hcl"), "locals").items()
    }
    stack = rendered(unit, LOCAL)["inputs"]["stack"]
    assert stack == {
        "environment": env["environment"],
        "table_name": env["table_name"],
        "function_name": env["function_name"],
        "api_name": env["api_name"],
        "lambda_role_name": None,  # modules/lambda's default: the function's name
        "lambda_role_path": "/",
    }


def test_the_modules_default_project_tag_is_the_roots():
    """The alarms' key is reached through the `project` tag the root's default_tags put on it;
    the units leave the module's default, which must be the root's project."""
    stack_type = next(
        body["type"]
        for entry in hcl2.load((IDENTITIES / "variables.tf").open())["variable"]
        for name, body in entry.items()
        if name.strip('"') == "stack"
    )
    root_project = literal(block(load_hcl(REPO_ROOT / "terragrunt.hcl"), "locals")["project"])
    assert f'project=optional(string,"{root_project}")' in "".join(stack_type.split())


@pytest.mark.parametrize("unit", UNITS, ids=environment_of)
def test_every_input_is_a_variable_of_the_module_and_every_required_one_is_set(unit):
    variables = {
        name.strip('"'): body
        for entry in hcl2.load((IDENTITIES / "variables.tf").open())["variable"]
        for name, body in entry.items()
    }
    inputs = rendered(unit, LOCAL)["inputs"]
    assert set(inputs) <= set(variables)
    assert {name for name, body in variables.items() if "default" not in body} <= set(inputs)
    source = rendered(unit, LOCAL)["terraform"]["source"]
    assert Path(source) == IDENTITIES


def test_promotion_and_the_live_tree_never_reach_an_account_unit():
    found = discover_units(REPO_ROOT)
    for environment in ("dev", "prod"):
        found += environment_units(LIVE_DIR / environment)[2]
    assert found and not [u for u in found if "accounts" in u.relative_to(REPO_ROOT).parts]
    sources = [(u / "terragrunt.hcl").read_text() for u in discover_units(REPO_ROOT)]
    assert not [s for s in sources if "modules/identities" in s]


def test_an_adopted_function_role_is_the_one_the_roles_reach(tree: Path):
    (tree / "live" / "prod" / "adopted.hcl").write_text(
        'locals {\n  inputs = {\n    "lambda" = {\n'
        '      role_name = "visitorCounter-role-abc123"\n'
        '      role_path = "/service-role/"\n    }\n  }\n}\n'
    )
    stack = rendered(tree / "accounts" / "prod" / "identities", LOCAL, root=tree)["inputs"]["stack"]
    assert (stack["lambda_role_name"], stack["lambda_role_path"]) == (
        "visitorCounter-role-abc123",
        "/service-role/",
    )


def test_the_repository_is_one_value_both_units_read():
    repositories = {rendered(unit, LOCAL)["inputs"]["repository"] for unit in UNITS}
    github = literal(block(load_hcl(REPO_ROOT / "accounts" / "github.hcl"), "locals")["repository"])
    assert repositories == {github}
