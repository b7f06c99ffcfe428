"""The entry point (`terragrunt.unit.render`) on small trees: what the conformance set leaves out.

Merge strategies with overlapping inputs, attributes that hold lists of objects, and a refusal
that names the dependency and the command.
"""

from pathlib import Path

import pytest

from counterstack.terragrunt.config import Run
from counterstack.terragrunt.errors import DependencyNotAppliedError
from counterstack.terragrunt.unit import render

pytestmark = pytest.mark.unit

ROOT = """\
locals {
  region = "eu-west-1"
}
inputs = {
  tags  = { team = "web", unit = path_relative_to_include() }
  zones = ["a"]
}
"""


def tree(tmp_path: Path, unit: str, root: str = ROOT) -> Path:
    (tmp_path / "root.hcl").write_text(root)
    unit_dir = tmp_path / "live" / "app"
    unit_dir.mkdir(parents=True)
    (unit_dir / "terragrunt.hcl").write_text(unit)
    return unit_dir


@pytest.mark.parametrize(
    ("strategy", "tags", "zones"),
    [
        ("shallow", {"owner": "me"}, ["b"]),
        ("deep", {"team": "web", "unit": "live/app", "owner": "me"}, ["a", "b"]),
        ("no_merge", {"owner": "me"}, ["b"]),
    ],
)
def test_includes_merge_as_their_strategy_says(tmp_path, strategy, tags, zones):
    unit_dir = tree(
        tmp_path,
        f'include "root" {{\n  path = find_in_parent_folders("root.hcl")\n'
        f'  merge_strategy = "{strategy}"\n  expose = true\n}}\n'
        'inputs = {\n  tags = { owner = "me" }\n  zones = ["b"]\n'
        "  region = include.root.locals.region\n}\n",
    )
    inputs = render(unit_dir, Run(env={}))["inputs"]
    assert inputs == {"tags": tags, "zones": zones, "region": "eu-west-1"}


def test_an_attribute_holding_a_list_of_objects_is_not_a_block(tmp_path):
    unit_dir = tree(tmp_path, 'statements = [{ actions = ["x"] }]\ninputs = {}\n')
    assert render(unit_dir, Run(env={}))["statements"] == [{"actions": ["x"]}]


def test_a_dependency_without_outputs_names_itself_and_the_command(tmp_path):
    unit_dir = tree(
        tmp_path,
        'dependency "db" {\n  config_path = "../db"\n  mock_outputs = { name = "m" }\n'
        '  mock_outputs_allowed_terraform_commands = ["validate"]\n}\n'
        "inputs = { table = dependency.db.outputs.name }\n",
    )
    assert render(unit_dir, Run(command="validate", env={}))["inputs"] == {"table": "m"}
    applied = Run(command="plan", env={}, outputs=lambda path: {"name": path.name})
    assert render(unit_dir, applied)["inputs"] == {"table": "db"}
    with pytest.raises(
        DependencyNotAppliedError, match=r"not allowed for 'plan' \(dependency 'db'"
    ):
        render(unit_dir, Run(command="plan", env={}))
