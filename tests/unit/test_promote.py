"""`counterstack promote`: the review of saved plans, its refusals, and what it promotes.

`data/promote_table_replaced.json` is Terraform 1.11's JSON of the prod table from the promotion
rehearsal (trimmed to what the reader uses), turned into a replacement by a new partition key:
the change that would lose the site's count.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

from counterstack.cli import main
from counterstack.paths import REPO_ROOT
from counterstack.plan_json import load_plan
from counterstack.promote.environment import read_environment
from counterstack.promote.review import review_unit, summary_markdown
from counterstack.terragrunt.tree import copy_tree

pytestmark = pytest.mark.unit

REPLACED = Path(__file__).parent / "data" / "promote_table_replaced.json"
TABLE = "module.dynamodb.aws_dynamodb_table.this"


def quiet_plan(path: Path) -> None:
    plan = {k: v for k, v in load_plan(REPLACED).items() if k != "resource_changes"}
    path.write_text(json.dumps({**plan, "resource_changes": []}))


@pytest.fixture
def saved_prod_plans(tmp_path: Path, monkeypatch) -> Path:
    """Saved prod plans in which the table would be replaced; the local switch set."""
    monkeypatch.setenv("COUNTERSTACK_ENDPOINT", "http://127.0.0.1:9")  # never reached
    out_dir = tmp_path / "plans"
    out_dir.mkdir()
    shutil.copy(REPLACED, out_dir / "dynamodb.json")
    for unit in read_environment(REPO_ROOT / "live" / "prod").units:
        if unit.name != "dynamodb":
            quiet_plan(out_dir / f"{unit.name}.json")
    return out_dir


def test_a_replaced_table_is_counted_as_terraform_counts_it_and_refused():
    review = review_unit("dynamodb", load_plan(REPLACED))
    assert review.counts == "1 to add, 0 to change, 1 to destroy"
    assert review.removals == [f"{TABLE}: replace"]
    assert review.refusals == [f"dynamodb: {TABLE} would replace the table (the site's data)"]


def test_the_summary_calls_out_the_replacement_before_the_counts():
    markdown = summary_markdown("live/prod", [review_unit("dynamodb", load_plan(REPLACED))], False)
    lines = markdown.splitlines()
    assert lines[0] == "## Plan of live/prod: 1 to add, 0 to change, 1 to destroy"
    refused = lines.index("**Protected resources destroyed or replaced (refused):**")
    assert refused < lines.index("| Unit | Plan |")
    assert f"- dynamodb: `{TABLE}: replace`" in lines


def test_applying_a_plan_that_replaces_the_table_is_refused_in_one_line(saved_prod_plans, capsys):
    args = [
        "promote",
        "apply",
        str(REPO_ROOT / "live" / "prod"),
        "--out-dir",
        str(saved_prod_plans),
    ]
    assert main(args) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors == [
        f"counterstack promote: error: refused: dynamodb: {TABLE} would replace the table (the "
        "site's data) (if intended, promote with --allow-replace)"
    ]
    assert (saved_prod_plans / "summary.md").read_text().startswith("## Plan of live/prod")


def test_prod_on_aws_without_an_account_id_stops_in_one_line_naming_env_hcl(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("COUNTERSTACK_ENDPOINT", raising=False)
    args = ["promote", "plan", str(REPO_ROOT / "live" / "prod"), "--out-dir", str(tmp_path)]
    assert main(args) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "counterstack promote: error: live/prod/env.hcl: aws_account_id is empty: set the prod "
        "account id (12 digits) before planning prod"
    ]
    assert list(tmp_path.iterdir()) == []  # nothing was planned


def test_units_are_discovered_and_ordered_dependencies_first(tmp_path):
    tree = copy_tree(REPO_ROOT, tmp_path / "tree")
    assert [unit.name for unit in read_environment(tree / "live" / "prod").units] == [
        "dynamodb",
        "lambda",
        "http-api",
        "alarms",
    ]
    # A unit added later, named to sort first, still comes after what it depends on.
    board = tree / "live" / "prod" / "board"
    board.mkdir()
    (board / "terragrunt.hcl").write_text(
        'dependency "alarms" {\n  config_path = "../alarms"\n}\n'
        'dependency "table" {\n  config_path = "../dynamodb"\n}\n'
    )
    env = read_environment(tree / "live" / "prod")
    assert [unit.name for unit in env.units] == [
        "dynamodb",
        "lambda",
        "http-api",
        "alarms",
        "board",
    ]


STUB = """#!/bin/sh
# A recording stand-in for terragrunt: one line per call, its folder and argv tab-separated;
# `show` prints the plan JSON the test prepared.
printf '%s' "$PWD" >> "$STUB_LOG"
printf '\\t%s' "$@" >> "$STUB_LOG"
printf '\\n' >> "$STUB_LOG"
case " $* " in *" show "*) cat "$STUB_PLAN" ;; esac
"""


def test_promote_hands_terragrunt_on_path_the_same_argv_unit_by_unit(tmp_path, monkeypatch):
    """With `terragrunt` on PATH, promote runs it (not the project's runner) in each unit's
    folder, dependencies first: `run -- plan -out=…`, `show -json`, then `apply <saved plan>`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "terragrunt").write_text(STUB)
    (bin_dir / "terragrunt").chmod(0o755)
    quiet_plan(tmp_path / "quiet.json")
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("STUB_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("STUB_PLAN", str(tmp_path / "quiet.json"))
    monkeypatch.setenv("COUNTERSTACK_ENDPOINT", "http://127.0.0.1:9")  # never reached
    env_dir, out = REPO_ROOT / "live" / "dev", (tmp_path / "plans").resolve()
    assert main(["promote", "plan", str(env_dir), "--out-dir", str(out)]) == 0
    assert main(["promote", "apply", str(env_dir), "--out-dir", str(out)]) == 0
    lines = (tmp_path / "calls.log").read_text().splitlines()
    calls = [[folder, argv] for folder, *argv in (line.split("\t") for line in lines)]
    units = ["dynamodb", "lambda", "http-api", "alarms"]
    planned = [
        call
        for unit in units
        for call in (
            [
                str(env_dir / unit),
                ["run", "--", "plan", "-input=false", "-lock=false", f"-out={out}/{unit}.tfplan"],
            ],
            [str(env_dir / unit), ["run", "--", "show", "-json", f"{out}/{unit}.tfplan"]],
        )
    ]
    applied = [
        [str(env_dir / unit), ["run", "--", "apply", "-input=false", f"{out}/{unit}.tfplan"]]
        for unit in units
    ]
    assert calls == planned + applied


def test_without_terragrunt_promote_on_aws_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    """The project's runner serves the local account only: on AWS, terragrunt must be there."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no terragrunt
    monkeypatch.delenv("COUNTERSTACK_ENDPOINT", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://s3.eu-west-1.amazonaws.com")
    args = ["promote", "plan", str(REPO_ROOT / "live" / "dev"), "--out-dir", str(tmp_path / "p")]
    assert main(args) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "counterstack promote: error: terragrunt is not on PATH (mise install), and the project's "
        "Terragrunt runner serves the local account only (COUNTERSTACK_ENDPOINT, or "
        "AWS_ENDPOINT_URL on loopback)"
    ]
    assert not (tmp_path / "p").exists() or not any((tmp_path / "p").iterdir())
