"""The composer reads what the root terragrunt.hcl means, not how it is written.

Each test edits a copy of the root (the edits are asserted to apply, so none is silently lost)
and composes live/dev and live/prod: laid out or written differently, the root composes exactly
as the original does; meaning something else, it composes accordingly or is refused, named.
"""

from pathlib import Path

import pytest

from counterstack.paths import REPO_ROOT
from counterstack.terragrunt.compose import CompositionError, compose_environment
from counterstack.terragrunt.tree import copy_tree

pytestmark = pytest.mark.live

ENVIRONMENTS = ("dev", "prod")
ADOPTED = """\
locals {
  inputs = {
    "lambda" = {
      role_name = "visitorCounter-role-ab12cd34"
    }
    "http-api" = {
      permission_statement_id = "lambda-0b5e1c1e"
    }
  }
}
"""
INPUTS = "inputs = merge(local.common_inputs, local.unit_adopted_inputs)"
ADOPTED_INPUTS = (
    "adopted_inputs = merge({}, [for path in [local.adopted_file] : "
    "read_terragrunt_config(path).locals.inputs if fileexists(path)]...)"
)
UNIT_ADOPTED_INPUTS = """\
  unit_adopted_inputs = merge({}, [
    for unit, values in local.adopted_inputs : values if unit == basename(get_terragrunt_dir())
  ]...)"""
COMMON_TAGS = """\
    tags = {
      unit = path_relative_to_include()
    }"""

# terraform fmt-style reflows and spacing: line breaks, trailing commas, comments, blanks.
REFLOWED = {
    INPUTS: "inputs = merge(\n  local.common_inputs, # shared by every unit\n"
    "  local.unit_adopted_inputs,\n)",
    ADOPTED_INPUTS: "adopted_inputs = merge(\n    {},\n    [\n"
    "      for path in [local.adopted_file] :\n"
    "      read_terragrunt_config(path).locals.inputs\n"
    "      if fileexists(path)\n    ]...\n  )",
    UNIT_ADOPTED_INPUTS: "  unit_adopted_inputs = merge( {} , [ for unit , values in "
    "local.adopted_inputs : values if unit==basename( get_terragrunt_dir( ) ) ] ... )",
}
# The same meaning in other words: other loop variables, parentheses, a no-op merge argument.
REWORDED = {
    INPUTS: "inputs = merge((local.common_inputs), {}, local.unit_adopted_inputs)",
    ADOPTED_INPUTS: "adopted_inputs = merge({}, [for file in [local.adopted_file] : "
    "read_terragrunt_config(file).locals.inputs if fileexists(file)]...)",
    UNIT_ADOPTED_INPUTS: "  unit_adopted_inputs = merge({}, [\n    for folder, inputs in "
    "local.adopted_inputs : inputs if basename(get_terragrunt_dir()) == folder\n  ]...)",
}


def edit_root(tree: Path, edits: dict[str, str]) -> Path:
    """The tree with each edit made once in its root terragrunt.hcl."""
    path = tree / "terragrunt.hcl"
    text = path.read_text()
    for old, new in edits.items():
        assert text.count(old) == 1, f"the root no longer holds {old!r}: update this test"
        text = text.replace(old, new)
    path.write_text(text)
    return tree


def composed(tree: Path) -> dict[str, dict]:
    return {env: compose_environment(tree / "live" / env, root=tree) for env in ENVIRONMENTS}


@pytest.mark.parametrize("adopted", [False, True], ids=["not-adopted", "adopted"])
@pytest.mark.parametrize("edits", [REFLOWED, REWORDED], ids=["reflowed", "reworded"])
def test_a_root_written_differently_composes_exactly_as_the_original(
    tree, tmp_path, edits, adopted
):
    other = edit_root(copy_tree(REPO_ROOT, tmp_path / "other"), edits)
    if adopted:
        for copy in (tree, other):
            (copy / "live" / "prod" / "adopted.hcl").write_text(ADOPTED)
    original = composed(tree)
    assert composed(other) == original
    lambda_inputs = original["prod"]["module"]["lambda"]
    assert ("role_name" in lambda_inputs) is adopted  # the adopted map is there, or not
    assert lambda_inputs["tags"] == {"unit": "live/prod/lambda"}


def test_a_root_whose_inputs_mean_more_composes_accordingly(tree: Path):
    edit_root(
        tree,
        {
            COMMON_TAGS: "    tags = {\n      unit  = basename(get_terragrunt_dir())\n"
            '      owner = "platform"\n    }',
            INPUTS: INPUTS.replace(")", ', { team = "web" })'),
        },
    )
    for env, config in composed(tree).items():
        for name, module in config["module"].items():
            folder = name.replace("_", "-")
            assert module["tags"] == {"unit": folder, "owner": "platform"}, (env, name)
            assert module["team"] == "web"


def test_a_root_that_hands_a_unit_another_units_adopted_map_is_refused(tree: Path):
    edit_root(tree, {"unit == basename(get_terragrunt_dir())": 'unit == "lambda"'})
    with pytest.raises(
        CompositionError, match=r"live/dev/(?!lambda)[a-z-]+: .* its map in live/dev/adopted"
    ):
        compose_environment(tree / "live" / "dev", root=tree)


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        (
            "unit = path_relative_to_include()",
            'unit = sops_decrypt_file("unit.json")',
            r'sops_decrypt_file\("unit.json"\).*sops_decrypt_file\(\) is not a function',
        ),
        # Read only when adopted.hcl exists: refused although live/prod has none yet.
        (
            "read_terragrunt_config(path).locals.inputs",
            'sops_decrypt_file("${path}.json")',
            r"sops_decrypt_file\(.*sops_decrypt_file\(\) is not a function",
        ),
    ],
    ids=["always-read", "read-when-adopted"],
)
def test_a_root_using_what_the_reader_cannot_evaluate_is_refused_naming_it(tree, old, new, named):
    edit_root(tree, {old: new})
    with pytest.raises(
        CompositionError, match=rf"live/prod/\w+: terragrunt\.hcl inputs: .*{named}"
    ):
        compose_environment(tree / "live" / "prod", root=tree)
