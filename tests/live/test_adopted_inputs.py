"""The adopted identity inputs reach the units the same way under Terragrunt and in the composer.

The root terragrunt.hcl merges `live/<env>/adopted.hcl`'s map of a unit into its inputs; the
composer (`counterstack.terragrunt.compose`) that plan tests use evaluates the root's expressions,
so it must come to exactly that. Terraform evaluates the root's adopted-inputs locals (Terragrunt's
own functions swapped for plain ones, by text: their text is pinned here) with and without the
file, and the composer's result is compared with it.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from counterstack.hcl_syntax import hcl_string, hcl_value
from counterstack.terraform_cli import terraform_env
from counterstack.terragrunt.compose import CompositionError, compose_environment, compose_imports
from counterstack.terragrunt.contract import check_tree
from counterstack.terragrunt.hcl import block, load_hcl

pytestmark = pytest.mark.live

LOCALS = {"package_path": "/build/visitor_counter.zip"}
ADOPTED = """\
locals {
  inputs = {
    "lambda" = {
      role_name = "visitorCounter-role-ab12cd34"
      role_path = "/service-role/"
    }
    "http-api" = {
      permission_statement_id = "lambda-0b5e1c1e"
    }
  }
}
"""
# The root's expressions as python-hcl2 renders them, which `_terraform_locals` rewrites into plain
# Terraform by text. (The composer evaluates them, whatever their layout: test_compose_root.py.)
ROOT_EXPRESSIONS = {
    "inputs": "${merge(local.common_inputs, local.unit_adopted_inputs)}",
    "locals.adopted_file": '"${dirname(find_in_parent_folders("env.hcl"))}/adopted.hcl"',
    "locals.adopted_inputs": "${merge({}, [for path in [local.adopted_file] : "
    "read_terragrunt_config(path).locals.inputs if fileexists(path)] ...)}",
    "locals.unit_adopted_inputs": "${merge({}, [for unit, values in local.adopted_inputs : "
    "values if unit == basename(get_terragrunt_dir())] ...)}",
}


def test_root_expressions_are_the_ones_the_terraform_check_rewrites(tree: Path):
    root = load_hcl(tree / "terragrunt.hcl")
    root_locals = block(root, "locals")
    found = {"inputs": root["inputs"]}
    found |= {key: root_locals[key.split(".", 1)[1]] for key in ROOT_EXPRESSIONS if "." in key}
    assert found == ROOT_EXPRESSIONS


def test_a_root_that_merges_differently_cannot_be_composed(tree: Path):
    path = tree / "terragrunt.hcl"
    path.write_text(
        path.read_text().replace(
            "inputs = merge(local.common_inputs, local.unit_adopted_inputs)",
            "inputs = local.common_inputs",
        )
    )
    with pytest.raises(CompositionError, match="inputs"):
        compose_environment(tree / "live" / "prod", locals_values=LOCALS, root=tree)


def test_adopted_inputs_reach_only_their_units_of_their_environment(tree: Path):
    (tree / "live" / "prod" / "adopted.hcl").write_text(ADOPTED)
    prod = compose_environment(tree / "live" / "prod", locals_values=LOCALS, root=tree)["module"]
    assert prod["lambda"]["role_name"] == "visitorCounter-role-ab12cd34"
    assert prod["lambda"]["role_path"] == "/service-role/"
    assert prod["lambda"]["function_name"] == "visitorCounter"  # the unit's own inputs stay
    assert prod["http_api"]["permission_statement_id"] == "lambda-0b5e1c1e"
    assert "role_name" not in prod["dynamodb"]
    dev = compose_environment(tree / "live" / "dev", locals_values=LOCALS, root=tree)["module"]
    assert "role_name" not in dev["lambda"]
    assert check_tree(tree) == []


def test_adopted_counter_settings_reach_the_function_and_table_name_stays_the_tables(tree: Path):
    """`adopt --write` names where an adopted table counts (COUNTER_KEY, COUNTER_ATTRIBUTE) in
    the lambda unit's map; the unit merges them under its TABLE_NAME, which no file can move."""
    table = "${module.dynamodb.name}"
    plain = compose_environment(tree / "live" / "prod", locals_values=LOCALS, root=tree)["module"]
    assert plain["lambda"]["environment_variables"] == {"TABLE_NAME": table}  # unchanged plans
    counter = {"COUNTER_ATTRIBUTE": "n", "COUNTER_KEY": "hits", "TABLE_NAME": "elsewhere"}
    (tree / "live" / "prod" / "adopted.hcl").write_text(
        'locals {\n  inputs = {\n    "lambda" = {\n      environment_variables = '
        + hcl_value(counter)
        + "\n    }\n  }\n}\n"
    )
    prod = compose_environment(tree / "live" / "prod", locals_values=LOCALS, root=tree)["module"]
    assert prod["lambda"]["environment_variables"] == {**counter, "TABLE_NAME": table}
    assert check_tree(tree) == []


def test_adopted_file_naming_an_unknown_input_or_unit_is_reported(tree: Path):
    (tree / "live" / "prod" / "adopted.hcl").write_text(
        ADOPTED.replace("role_path", "role_paht").replace('"http-api"', '"api"')
    )
    problems = {(p.unit, p.key) for p in check_tree(tree)}
    assert ("live/prod/lambda", "inputs.role_paht") in problems
    assert ("live/prod/adopted.hcl", "locals.inputs.api") in problems


def test_unit_import_blocks_become_root_blocks_of_the_unit_module(tree: Path):
    (tree / "live" / "prod" / "http-api" / "imports.tf").write_text(
        'import {\n  to = aws_apigatewayv2_route.this["GET /visitors"]\n  id = "a1/r1"\n}\n'
    )
    (tree / "live" / "prod" / "lambda" / "imports.tf").write_text(
        'import {\n  to = aws_iam_role.this\n  id = "visitorCounter-role-ab12cd34"\n}\n'
    )
    assert compose_imports(tree / "live" / "prod", root=tree) == [
        {"to": 'module.http_api.aws_apigatewayv2_route.this["GET /visitors"]', "id": "a1/r1"},
        {"to": "module.lambda.aws_iam_role.this", "id": "visitorCounter-role-ab12cd34"},
    ]
    assert compose_imports(tree / "live" / "dev", root=tree) == []


def _terraform_locals(tree: Path, workdir: Path, unit: str) -> str:
    """The root's adopted locals, Terragrunt functions replaced by Terraform ones, as a root."""
    root_locals = block(load_hcl(tree / "terragrunt.hcl"), "locals")
    env_dir = (tree / "live" / "prod").as_posix()

    def plain(expression: str) -> str:
        text = expression[2:-1] if expression.startswith("${") else expression
        text = text.replace('dirname(find_in_parent_folders("env.hcl"))', hcl_string(env_dir))
        text = text.replace("read_terragrunt_config(path).locals.inputs", "jsondecode(file(path))")
        text = text.replace("basename(get_terragrunt_dir())", hcl_string(unit))
        text = re.sub(r"adopted\.hcl", "adopted.json", text)
        return text

    return (
        "locals {\n"
        + "".join(
            f"  {name} = {plain(root_locals[name])}\n"
            for name in ("adopted_file", "adopted_inputs", "unit_adopted_inputs")
        )
        + "}\n"
        + 'output "unit_adopted_inputs" {\n  value = local.unit_adopted_inputs\n}\n'
    )


@pytest.mark.parametrize("with_file", [True, False], ids=["adopted", "not-adopted"])
def test_terraform_evaluates_the_root_expression_as_the_composer_does(tree, tmp_path, with_file):
    """HCL evaluates both arms of a conditional: the missing file must not be read at all."""
    if with_file:
        (tree / "live" / "prod" / "adopted.hcl").write_text(ADOPTED)
        doc = block(load_hcl(tree / "live" / "prod" / "adopted.hcl"), "locals")["inputs"]
        as_json = {
            unit.strip('"'): {k: json.loads(v) for k, v in values.items()}
            for unit, values in doc.items()
        }
        (tree / "live" / "prod" / "adopted.json").write_text(json.dumps(as_json))
    composed = compose_environment(tree / "live" / "prod", locals_values=LOCALS, root=tree)
    workdir = tmp_path / "evaluate"
    workdir.mkdir()
    (workdir / "main.tf").write_text(_terraform_locals(tree, workdir, "lambda"))
    env = {**os.environ, **terraform_env()}
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        result = subprocess.run(
            ["terraform", *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
    output = subprocess.run(
        ["terraform", "output", "-json", "unit_adopted_inputs"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    evaluated = json.loads(output.stdout)
    adopted_in_composer = {
        key: value
        for key, value in composed["module"]["lambda"].items()
        if key in ("role_name", "role_path", "policy_name")
    }
    assert evaluated == adopted_in_composer
    assert bool(evaluated) is with_file
