"""The project's Terragrunt runner (`counterstack.terragrunt.run`): what the conformance set does
not pin. It refuses AWS in one line before anything runs, its argv parsing refuses what it does
not know, and a dependency cycle is refused for a single unit too.
"""

import io
import subprocess
import sys
from pathlib import Path

import pytest

from counterstack.terragrunt.run.guard import local_endpoint
from counterstack.terragrunt.run.main import terragrunt

pytestmark = pytest.mark.unit

S3_UNIT = """remote_state {
  backend  = "s3"
  generate = { path = "backend.tf", if_exists = "overwrite_terragrunt" }
  config   = { bucket = "b", key = "k", region = "eu-west-1", use_lockfile = true }
}
"""


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = terragrunt(argv, cwd, {"PATH": "/usr/bin:/bin", **env}, out, err)
    return code, err.getvalue()


@pytest.mark.parametrize(
    "env",
    [{}, {"AWS_ENDPOINT_URL": "https://s3.eu-west-1.amazonaws.com"}],
    ids=["no-endpoint", "aws-endpoint"],
)
def test_a_unit_with_state_in_s3_is_refused_on_aws_in_one_line(tmp_path, env):
    (tmp_path / "terragrunt.hcl").write_text(S3_UNIT)
    code, err = run(["plan"], tmp_path, env)
    assert code == 1
    assert err.strip().splitlines() == [
        f"ERROR {tmp_path}: this Terragrunt runner serves the project's local account only (set "
        "COUNTERSTACK_ENDPOINT, or AWS_ENDPOINT_URL on loopback); on AWS, run the real terragrunt"
    ]
    assert not (tmp_path / ".terragrunt-cache").exists() or not list(
        (tmp_path / ".terragrunt-cache").rglob(".terraform")
    )


@pytest.mark.parametrize(
    ("env", "endpoint"),
    [
        ({"COUNTERSTACK_ENDPOINT": "http://127.0.0.1:4566"}, "http://127.0.0.1:4566"),
        ({"AWS_ENDPOINT_URL": "http://localhost:5000"}, "http://localhost:5000"),
        ({"AWS_ENDPOINT_URL": "http://[::1]:5000"}, "http://[::1]:5000"),
        ({"AWS_ENDPOINT_URL": "http://10.0.0.5:4566"}, None),
        ({}, None),
    ],
)
def test_the_local_account_is_named_by_the_switch_or_a_loopback_endpoint(env, endpoint):
    assert local_endpoint(env) == endpoint


def test_an_unknown_flag_is_refused_naming_it(tmp_path):
    code, err = run(["run", "--frobnicate", "--", "plan"], tmp_path, {})
    assert (code, err.strip()) == (
        1,
        "ERROR terragrunt: flag --frobnicate is not one this runner knows",
    )


def test_a_cycle_is_refused_before_anything_runs(tmp_path):
    for name, other in (("a", "b"), ("b", "a")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "terragrunt.hcl").write_text(
            f'dependency "{other}" {{\n  config_path = "../{other}"\n}}\n'
        )
    code, err = run(["plan"], tmp_path / "a", {})
    assert code == 1
    assert f"Found a dependency cycle between modules: {tmp_path}/a -> {tmp_path}/b -> " in err
    assert not (tmp_path / "a" / ".terragrunt-cache").exists()


def test_the_runner_runs_as_a_program_for_a_terragrunt_shim(tmp_path):
    """`python -m counterstack.terragrunt.run` is what a shim named `terragrunt` execs (the deploy
    rehearsal, the staged recipes): it takes Terragrunt's argv in the working folder."""
    shown = subprocess.run(
        [sys.executable, "-m", "counterstack.terragrunt.run", "run", "--bogus", "--", "plan"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (shown.returncode, shown.stderr.strip()) == (
        1,
        "ERROR terragrunt: flag --bogus is not one this runner knows",
    )
