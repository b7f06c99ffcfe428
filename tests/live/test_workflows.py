"""The GitHub workflows validate offline against the schema check-jsonschema ships with."""

import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from counterstack.paths import REPO_ROOT

pytestmark = pytest.mark.live

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
CHECKER = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which(
    "check-jsonschema"
)


@pytest.mark.skipif(
    CHECKER is None, reason="check-jsonschema not installed: pip install -e '.[test]'"
)
def test_workflows_match_the_github_workflow_schema():
    assert WORKFLOWS, "no workflows under .github/workflows"
    result = subprocess.run(
        [CHECKER, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def load(name: str) -> dict:
    return yaml.safe_load((REPO_ROOT / ".github" / "workflows" / name).read_text())


def steps_text(job: dict) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_pin_actions_limit_permissions_and_serialise(path: Path):
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {"contents": "read"}
    assert "group" in workflow["concurrency"]
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            if "uses" in step:
                assert "@" in step["uses"], f"{path.name}: unpinned action {step['uses']}"


PINNED = re.compile(r"^\s*(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_with_the_version_beside_it(path: Path):
    """A tag can be moved to other code; a commit cannot (the jobs hold AWS roles). A workflow of
    this repository (`$/…`) is the same commit as the caller."""
    uses = [
        line
        for line in path.read_text().splitlines()
        if line.strip().startswith(("uses:", "- uses:")) and "uses: $/" not in line
    ]
    assert uses, f"{path.name} uses no action"
    assert [line for line in uses if not PINNED.match(line)] == []


ROUNDS = [f"prod-round-{n}" for n in range(1, 5)]
GATE_SHA = "${{ needs.gate.outputs.sha }}"


def test_promotion_order_and_gate():
    jobs = load("promote.yml")["jobs"]
    assert jobs["apply-dev"]["needs"] == "gate"
    assert jobs["smoke-dev"]["needs"] == ["gate", "apply-dev"]
    assert jobs["bootstrap-prod"]["needs"] == ["gate", "smoke-dev"]
    assert jobs["prod-round-1"]["needs"] == ["gate", "smoke-dev", "bootstrap-prod"]
    for before, after in itertools.pairwise(ROUNDS):
        assert jobs[after]["needs"] == ["gate", before]
        assert jobs[after]["if"] == f"needs.{before}.outputs.remaining == 'true'"
    assert jobs["smoke-prod"]["needs"] == ["gate", *ROUNDS]
    for name in ROUNDS:
        assert jobs[name]["uses"] == "$/.github/workflows/promote-round.yml"
        assert jobs[name]["with"]["sha"] == "${{ needs.gate.outputs.sha }}"
    assert "counterstack promote run live/dev" in steps_text(jobs["apply-dev"])
    assert 'pytest tests/e2e -m smoke --smoke-url "$URL"' in steps_text(jobs["smoke-prod"])
    for name in ("apply-dev", "bootstrap-prod", *ROUNDS):
        assert jobs[name]["permissions"]["id-token"] == "write"


def test_each_prod_round_applies_exactly_the_plans_its_reviewers_approved():
    text = (REPO_ROOT / ".github" / "workflows" / "promote-round.yml").read_text()
    assert "-auto-approve" not in text and "run --all -- apply" not in text
    jobs = load("promote-round.yml")["jobs"]
    plan, apply = jobs["plan"], jobs["apply"]
    assert plan["environment"] == "prod-plan"  # read-only role, no reviewers
    assert apply["environment"]["name"] == "prod"  # required reviewers approve this round
    assert apply["needs"] == "plan" and apply["if"] == "needs.plan.outputs.changes == 'true'"
    assert "counterstack promote plan live/prod --out-dir" in steps_text(plan)
    assert "actions/upload-artifact" in steps_text(plan)
    assert "counterstack promote apply live/prod --out-dir" in steps_text(apply)
    assert "promote plan" not in steps_text(apply)  # never a fresh plan after the approval
    uploaded = next(s for s in plan["steps"] if "upload-artifact" in s.get("uses", ""))
    assert uploaded["with"]["retention-days"] == 30  # as long as an approval may wait


def test_an_expired_artifact_is_planned_again_never_a_failed_apply():
    steps = load("promote-round.yml")["jobs"]["apply"]["steps"]
    download = next(s for s in steps if "download-artifact" in s.get("uses", ""))
    assert download["continue-on-error"] is True
    after = steps[steps.index(download) + 1 :]
    for step in after:  # nothing touches AWS without the plans...
        if "expired" not in step.get("id", ""):
            assert step["if"] == "steps.download.outcome == 'success'", step.get("name")
    expired = next(s for s in after if s.get("id") == "expired")  # ...and the next round replans
    assert expired["if"] == "steps.download.outcome != 'success'"
    assert 'echo "remaining=true" >> "$GITHUB_OUTPUT"' in expired["run"]
    outputs = load("promote-round.yml")["jobs"]["apply"]["outputs"]
    assert outputs["remaining"].startswith("${{ steps.expired.outputs.remaining ||")


def test_the_plan_role_never_bootstraps_and_the_deploy_roles_do_it_in_a_step_of_their_own():
    for name in ("promote.yml", "promote-round.yml"):
        workflow = load(name)
        assert "TG_BACKEND_BOOTSTRAP" not in workflow.get("env", {}), name
        for job_name, job in workflow["jobs"].items():
            assert "TG_BACKEND_BOOTSTRAP" not in job.get("env", {}), job_name
            for step in job.get("steps", []):
                assert "TG_BACKEND_BOOTSTRAP" not in step.get("env", {}), step.get("name")
                assert "--backend-bootstrap" not in str(step.get("run", "")), step.get("name")
    jobs = load("promote.yml")["jobs"]
    prod = jobs["bootstrap-prod"]
    assert prod["environment"] == "prod" and prod["if"] == "inputs.bootstrap"
    assert steps_text(prod).strip().endswith("terragrunt backend bootstrap --all")
    dev = [str(step.get("run", "")) for step in jobs["apply-dev"]["steps"]]
    bootstrap = dev.index("terragrunt backend bootstrap --all")
    assert bootstrap < next(i for i, run in enumerate(dev) if "promote run" in run)


def test_promotion_runs_for_main_commits_whose_ci_passed_and_never_queues_dev_behind_prod():
    workflow = load("promote.yml")
    on = workflow[True]  # YAML reads the key `on` as True
    assert on["workflow_run"] == {"workflows": ["ci"], "types": ["completed"], "branches": ["main"]}
    assert "push" not in on
    assert load("ci.yml")[True]["push"] == {"branches": ["main"]}
    gate = workflow["jobs"]["gate"]
    assert "workflow_run.conclusion == 'success'" in gate["if"]
    assert "refs/heads/main" in steps_text(gate) and "--status success" in steps_text(gate)
    jobs = workflow["jobs"]
    prod_apply = load("promote-round.yml")["jobs"]["apply"]
    assert jobs["apply-dev"]["concurrency"]["group"] != prod_apply["concurrency"]["group"]
    assert "sha" in workflow["concurrency"]["group"]  # per commit, not one queue for everything
    for name, job in [*jobs.items(), *load("promote-round.yml")["jobs"].items()]:
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout") and name != "gate":
                ref = (
                    "${{ inputs.sha }}"
                    if name in ("plan", "apply")
                    else "${{ needs.gate.outputs.sha }}"
                )
                assert step["with"]["ref"] == ref, name


def test_ci_runs_ci_run_itself():
    jobs = load("ci.yml")["jobs"]
    assert [step.get("run") for step in jobs["ci"]["steps"] if "run" in step] == ["bash .ci/run"]
    assert len(jobs) == 1


NIGHTLY_SCRIPTS = {"e2e-aws": "scripts/nightly-e2e", "account-aws": "scripts/nightly-account"}


@pytest.mark.parametrize("job", sorted(NIGHTLY_SCRIPTS))
def test_nightly_test_jobs_run_their_script(job: str):
    """The job's commands are the script .ci/run rehearses, so the rehearsal is the job."""
    steps = load("nightly.yml")["jobs"][job]["steps"]
    assert [s["run"] for s in steps if "scripts/" in s.get("run", "")] == [NIGHTLY_SCRIPTS[job]]
    assert "pytest" not in steps_text({"steps": steps})


@pytest.fixture
def stub_tools(tmp_path: Path):
    """`pytest` and `counterstack` stubs on PATH that log their arguments; pytest exits $1."""
    calls = tmp_path / "calls"

    def install(pytest_exit: int) -> dict[str, str]:
        for name, code in (("pytest", pytest_exit), ("counterstack", 0)):
            stub = tmp_path / name
            stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexit {code}\n')
            stub.chmod(0o755)
        return {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}

    return install, calls


@pytest.mark.parametrize(
    ("script", "selection"),
    [
        ("scripts/nightly-e2e", "pytest -n 4 -m e2e --target aws"),
        ("scripts/nightly-account", "pytest -n 4 tests/account -m account and not local_only"),
    ],
)
@pytest.mark.parametrize("pytest_exit", [0, 1])
def test_nightly_scripts_sweep_even_when_the_tests_fail(stub_tools, script, selection, pytest_exit):
    install, calls = stub_tools
    env = {**install(pytest_exit), "NIGHTLY_ACCOUNT_ID": "210987654321"}
    result = subprocess.run([str(REPO_ROOT / script)], env=env, capture_output=True, text=True)
    assert result.returncode == pytest_exit, result.stderr
    ran = calls.read_text().splitlines()
    assert ran[0].startswith(selection)
    assert "--target aws" in ran[0]
    assert ran[1:] == [
        "counterstack sweep --prefix ct- --older-than 2h --account-id 210987654321 --delete"
    ]


@pytest.mark.parametrize("script", ["scripts/nightly-e2e", "scripts/nightly-account"])
def test_nightly_scripts_need_the_account_the_sweep_may_clean(stub_tools, script):
    """Without it the sweep could not run: the job fails at once, before the tests, saying so."""
    install, calls = stub_tools
    env = {k: v for k, v in install(0).items() if k != "NIGHTLY_ACCOUNT_ID"}
    result = subprocess.run([str(REPO_ROOT / script)], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "NIGHTLY_ACCOUNT_ID" in result.stderr
    assert not calls.exists()


def test_nightly_jobs_name_the_account_the_sweep_may_clean():
    jobs = load("nightly.yml")["jobs"]
    for job, script in NIGHTLY_SCRIPTS.items():
        step = next(s for s in jobs[job]["steps"] if s.get("run") == script)
        assert step["env"]["NIGHTLY_ACCOUNT_ID"] == "${{ vars.NIGHTLY_ACCOUNT_ID }}"


# --- nightly drift: a read-only plan of live/prod that names what drifted ------------------------

DRIFT_DATA = REPO_ROOT / "tests" / "unit" / "data"
PROD_UNITS = sorted(p.parent.name for p in (REPO_ROOT / "live" / "prod").glob("*/terragrunt.hcl"))
# Plays `terragrunt run -- plan|show ...` in a unit folder: plan exits with the unit's code, show
# prints the unit's plan JSON; both from $STUB_DIR.
TERRAGRUNT_STUB = """#!/usr/bin/env bash
unit="$(basename "$PWD")"
echo "$*" >> "$STUB_DIR/calls"
case "$3" in
  plan) exit "$(cat "$STUB_DIR/$unit.code")" ;;
  show) cat "$STUB_DIR/$unit.json" ;;
esac
"""


def drift_job() -> dict:
    return load("nightly.yml")["jobs"]["drift-prod"]


def drift_steps() -> tuple[dict, dict]:
    steps = drift_job()["steps"]
    (plan,) = [s for s in steps if "terragrunt run -- plan" in s.get("run", "")]
    (report,) = [s for s in steps if "counterstack drift" in s.get("run", "")]
    return plan, report


def test_nightly_drift_job_plans_prod_read_only_with_the_oidc_role():
    job = drift_job()
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["environment"] != "prod"  # not the deploy role behind the approval gate
    credentials = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
    assert credentials and credentials[0]["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    plan, report = drift_steps()
    assert plan["working-directory"] == "live/prod"
    assert "-detailed-exitcode" in plan["run"] and "-lock=false" in plan["run"]
    text = steps_text(job) + str(job.get("env", {}))
    for writer in ("apply", "destroy", "import", "BACKEND_BOOTSTRAP", "force-unlock"):
        assert writer not in text, writer
    assert plan["shell"] == report["shell"] == "bash"  # pipefail: tee keeps the report's status


def run_step(step: dict, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A workflow step's script as GitHub runs it with `shell: bash`."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def drift_run(tmp_path: Path):
    """`drift_run({unit: (plan exit code, plan JSON)})` -> the two steps' results."""

    def run(outcomes: dict[str, tuple[int, Path]]):
        stub_dir, bin_dir, runner_temp = (tmp_path / d for d in ("stub", "bin", "runner"))
        for folder in (stub_dir, bin_dir, runner_temp):
            folder.mkdir()
        for unit in PROD_UNITS:
            (tmp_path / "live" / "prod" / unit).mkdir(parents=True)
            (tmp_path / "live" / "prod" / unit / "terragrunt.hcl").write_text("")
            code, plan = outcomes.get(unit, (0, DRIFT_DATA / "plan_quiet.json"))
            (stub_dir / f"{unit}.code").write_text(str(code))
            (stub_dir / f"{unit}.json").write_bytes(plan.read_bytes())
        (bin_dir / "terragrunt").write_text(TERRAGRUNT_STUB)
        (bin_dir / "terragrunt").chmod(0o755)
        env = {
            "PATH": os.pathsep.join(
                [str(bin_dir), str(Path(sys.executable).parent), "/usr/bin", "/bin"]
            ),
            "STUB_DIR": str(stub_dir),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        }
        plan_step, report_step = drift_steps()
        planned = run_step(plan_step, tmp_path / "live" / "prod", env)
        reported = run_step(report_step, tmp_path, env) if planned.returncode == 0 else None
        return planned, reported, (stub_dir / "calls").read_text().splitlines()

    return run


def test_drift_job_passes_when_every_prod_unit_plans_no_changes(drift_run):
    planned, reported, calls = drift_run({})
    assert planned.returncode == 0, planned.stderr
    assert len([c for c in calls if c.startswith("run -- plan")]) == len(PROD_UNITS)
    assert reported.returncode == 0, reported.stdout + reported.stderr
    assert reported.stdout == f"no drift: {len(PROD_UNITS)} plan(s), no changes\n"


def test_drift_job_fails_naming_each_drifted_resource_and_its_unit(drift_run):
    planned, reported, _ = drift_run({"dynamodb": (2, DRIFT_DATA / "plan_drift.json")})
    assert planned.returncode == 0, planned.stderr  # exit 2 is "changes", not a failed plan
    assert reported.returncode == 1
    drifted = [line for line in reported.stdout.splitlines() if line.startswith("drift: ")]
    assert drifted == [
        "drift: dynamodb: module.archive.aws_dynamodb_table.this: create; "
        "changed outside Terraform: deleted",
        "drift: dynamodb: module.counter.aws_dynamodb_table.this: update in place "
        "(point_in_time_recovery, tags, tags_all); changed outside Terraform: "
        "point_in_time_recovery, tags, tags_all",
    ]


def test_drift_job_stops_when_a_plan_fails(drift_run):
    planned, reported, _ = drift_run({"lambda": (1, DRIFT_DATA / "plan_quiet.json")})
    assert planned.returncode == 1
    assert "::error::terragrunt plan of live/prod/lambda failed (exit 1)" in planned.stdout
    assert reported is None


def test_nightly_checks_the_account_tests_against_aws():
    """The local account's AWS claims run on AWS; its local_only tests are left out."""
    job = load("nightly.yml")["jobs"]["account-aws"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    script = (REPO_ROOT / NIGHTLY_SCRIPTS["account-aws"]).read_text()
    assert '-m "account and not local_only" --target aws' in script
    assert "jdx/mise-action@" in steps_text(job)  # Terraform for the selection's Terraform tests
