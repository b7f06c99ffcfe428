"""The GitHub workflows validate offline against the schema check-jsonschema ships with."""

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
        for step in job["steps"]:
            if "uses" in step:
                assert "@" in step["uses"], f"{path.name}: unpinned action {step['uses']}"


def test_promotion_order_and_gate():
    jobs = load("promote.yml")["jobs"]
    assert jobs["smoke-dev"]["needs"] == "apply-dev"
    assert jobs["apply-prod"]["needs"] == "smoke-dev"
    assert jobs["smoke-prod"]["needs"] == "apply-prod"
    assert jobs["apply-prod"]["environment"]["name"] == "prod"
    assert "terragrunt run --all -- apply" in steps_text(jobs["apply-dev"])
    assert "working-directory" in str(jobs["apply-dev"]["steps"])
    assert 'pytest tests/e2e -m smoke --smoke-url "$URL"' in steps_text(jobs["smoke-prod"])
    for name in ("apply-dev", "apply-prod"):
        assert jobs[name]["permissions"] == {"contents": "read", "id-token": "write"}


def test_nightly_sweeps_even_when_the_tests_fail():
    steps = load("nightly.yml")["jobs"]["e2e-aws"]["steps"]
    sweep = [s for s in steps if "counterstack sweep" in s.get("run", "")]
    assert sweep and sweep[0]["if"] == "always()"
    assert "--older-than 2h" in sweep[0]["run"]
    assert any("pytest -n 4 -m e2e --target aws" in s.get("run", "") for s in steps)


def test_nightly_checks_the_account_tests_against_aws():
    """The local account's AWS claims run on AWS; its local_only tests are left out."""
    job = load("nightly.yml")["jobs"]["account-aws"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert '-m "account and not local_only" --target aws' in steps_text(job)
    sweep = [s for s in job["steps"] if "counterstack sweep" in s.get("run", "")]
    assert sweep and sweep[0]["if"] == "always()"
