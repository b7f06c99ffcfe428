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


def plan_json(resources: dict[str, list[str]], outputs: dict[str, list[str]]) -> dict:
    """A saved plan's JSON as `terraform show -json` prints it, trimmed to what promote reads."""
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "resource_changes": [
            {
                "address": address,
                "mode": "managed",
                "type": address.split(".")[-2],
                "change": {"actions": actions, "before": {}, "after": {}},
            }
            for address, actions in resources.items()
        ],
        "output_changes": {name: {"actions": actions} for name, actions in outputs.items()},
    }


NEW = ["create"]
SAME = ["no-op"]
FRESH = {  # an empty account: every unit creates its resources and outputs
    "dynamodb": plan_json({"aws_dynamodb_table.this": NEW}, {"name": NEW, "arn": NEW}),
    "lambda": plan_json(
        {"aws_lambda_function.this": NEW},
        {"function_name": NEW, "invoke_arn": NEW, "timeout": NEW, "version": NEW},
    ),
    "http-api": plan_json({"aws_apigatewayv2_api.this": NEW}, {"api_id": NEW}),
    "alarms": plan_json({"aws_cloudwatch_metric_alarm.errors": NEW}, {}),
}


@pytest.fixture
def saved_prod_plans(tmp_path: Path, monkeypatch) -> Path:
    """Saved prod plans in which the table would be replaced; the local switch set."""
    monkeypatch.setenv("COUNTERSTACK_ENDPOINT", "http://127.0.0.1:9")  # never reached
    out_dir = tmp_path / "plans"
    out_dir.mkdir()
    shutil.copy(REPLACED, out_dir / "dynamodb.json")
    units = [unit.name for unit in read_environment(REPO_ROOT / "live" / "prod").units]
    for unit in units[1:]:
        quiet_plan(out_dir / f"{unit}.json")
    (out_dir / "round.json").write_text(json.dumps({"planned": units}))
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
case " $* " in *" show "*) cat "$STUB_PLANS/$(basename "$PWD").json" ;; esac
"""


@pytest.fixture
def terragrunt_stub(tmp_path, monkeypatch):
    """A recording `terragrunt` first on PATH; returns (write the plan each unit shows, calls)."""
    bin_dir, plans = tmp_path / "bin", tmp_path / "stub-plans"
    bin_dir.mkdir()
    plans.mkdir()
    (bin_dir / "terragrunt").write_text(STUB)
    (bin_dir / "terragrunt").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("STUB_LOG", str(tmp_path / "calls.log"))
    monkeypatch.setenv("STUB_PLANS", str(plans))
    monkeypatch.setenv("COUNTERSTACK_ENDPOINT", "http://127.0.0.1:9")  # never reached

    def shows(unit_plans: dict[str, dict]) -> None:
        for unit, plan in unit_plans.items():
            (plans / f"{unit}.json").write_text(json.dumps(plan))

    def calls() -> list[list]:
        lines = (tmp_path / "calls.log").read_text().splitlines()
        return [[folder, argv] for folder, *argv in (line.split("\t") for line in lines)]

    return shows, calls


def test_promote_hands_terragrunt_on_path_the_same_argv_unit_by_unit(tmp_path, terragrunt_stub):
    """With `terragrunt` on PATH, promote runs it (not the project's runner) in each unit's
    folder, dependencies first: `run -- plan -out=…`, `show -json`, then `apply <saved plan>`
    (a unit whose plan changes nothing is not applied)."""
    shows, recorded = terragrunt_stub
    update = plan_json({"aws_x.this": ["update"]}, {"name": SAME})
    shows({unit: update for unit in ("dynamodb", "lambda", "http-api")})
    shows({"alarms": plan_json({}, {})})
    env_dir, out = REPO_ROOT / "live" / "dev", (tmp_path / "plans").resolve()
    assert main(["promote", "plan", str(env_dir), "--out-dir", str(out)]) == 0
    assert main(["promote", "apply", str(env_dir), "--out-dir", str(out)]) == 0
    calls = recorded()
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
        for unit in units[:3]
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


def test_an_empty_account_is_promoted_round_by_round_never_against_mocks(
    tmp_path, terragrunt_stub, capsys
):
    """A unit is planned only once the outputs it reads are applied: on an empty account the
    table first, then the function, the API and the alarms, one round each."""
    shows, recorded = terragrunt_stub
    shows(FRESH)
    env_dir, out = REPO_ROOT / "live" / "dev", tmp_path / "plans"
    assert main(["promote", "plan", str(env_dir), "--out-dir", str(out)]) == 0
    assert [argv[2] for _, argv in recorded()] == ["plan", "show"]  # dynamodb alone
    review = (out / "summary.md").read_text()
    assert "- lambda: dynamodb's arn, name are not applied yet" in review
    assert "- http-api: lambda waits" in review and "- alarms: lambda waits" in review
    assert main(["promote", "apply", str(env_dir), "--out-dir", str(out)]) == 0
    assert recorded()[-1][0] == str(env_dir / "dynamodb")
    assert "next round: lambda, http-api, alarms" in capsys.readouterr().out


def test_a_code_change_is_one_round_its_unread_outputs_do_not_hold_anyone_back(
    tmp_path, terragrunt_stub
):
    shows, recorded = terragrunt_stub
    quiet = plan_json({}, {"name": SAME})
    shows({"dynamodb": quiet, "http-api": quiet, "alarms": quiet})
    shows(
        {
            "lambda": plan_json(
                {"aws_lambda_function.this": ["update"]},
                {"function_name": SAME, "invoke_arn": SAME, "version": ["update"]},
            )
        }
    )
    out = tmp_path / "plans"
    assert main(["promote", "plan", str(REPO_ROOT / "live" / "dev"), "--out-dir", str(out)]) == 0
    planned = [Path(folder).name for folder, argv in recorded() if argv[2] == "plan"]
    assert planned == ["dynamodb", "lambda", "http-api", "alarms"]
    assert "next round" not in (out / "summary.md").read_text()


def test_renaming_the_function_is_refused_before_anything_is_applied(
    tmp_path, terragrunt_stub, capsys
):
    """The function replaced while the API still invokes it would break the site between the
    rounds: refused in one line naming the unit, the outputs and the staged recipe."""
    shows, recorded = terragrunt_stub
    renamed = plan_json(
        {"aws_lambda_function.this": ["delete", "create"]},
        {"function_name": ["update"], "invoke_arn": ["update"], "timeout": SAME},
    )
    shows({"dynamodb": plan_json({}, {"name": SAME, "arn": SAME}), "lambda": renamed})
    out = tmp_path / "plans"
    assert main(["promote", "plan", str(REPO_ROOT / "live" / "dev"), "--out-dir", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "counterstack promote: error: refused: lambda destroys or replaces "
        "aws_lambda_function.this while http-api reads its function_name, invoke_arn: http-api "
        "would point at what is gone until the next round (stage it: "
        "docs/terragrunt.md#changing-what-another-unit-reads); lambda destroys or replaces "
        "aws_lambda_function.this while alarms reads its function_name: alarms would point at "
        "what is gone until the next round (stage it: "
        "docs/terragrunt.md#changing-what-another-unit-reads) (if intended, promote with "
        "--allow-replace)"
    ]
    assert all(argv[2] != "apply" for _, argv in recorded())
    # The same plans, applied anyway, are refused by the same check.
    assert main(["promote", "apply", str(REPO_ROOT / "live" / "dev"), "--out-dir", str(out)]) == 2
    assert all(argv[2] != "apply" for _, argv in recorded())


def test_an_expired_artifact_is_said_in_one_line_and_nothing_is_applied(tmp_path, capsys):
    os.environ.setdefault("COUNTERSTACK_ENDPOINT", "http://127.0.0.1:9")
    out = tmp_path / "downloaded-nothing"
    args = ["promote", "apply", str(REPO_ROOT / "live" / "dev"), "--out-dir", str(out)]
    assert main(args) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"counterstack promote: error: no saved round in {out} (run promote plan; an expired "
        "artifact is planned again)"
    ]


def test_plans_made_against_outputs_that_change_in_the_same_round_are_not_applied(
    tmp_path, terragrunt_stub, capsys
):
    """A round whose files say the API was planned beside a new function (by hand, or an older
    promote) is refused: its saved plan would carry the function's mock or stale values."""
    del terragrunt_stub  # on PATH; nothing may run
    out = tmp_path / "plans"
    out.mkdir()
    for unit, plan in FRESH.items():
        (out / f"{unit}.json").write_text(json.dumps(plan))
    (out / "round.json").write_text(json.dumps({"planned": list(FRESH)}))
    assert main(["promote", "apply", str(REPO_ROOT / "live" / "dev"), "--out-dir", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"counterstack promote: error: {out}: lambda was planned while dynamodb's arn, name are "
        "not applied yet: plan the round again"
    ]
