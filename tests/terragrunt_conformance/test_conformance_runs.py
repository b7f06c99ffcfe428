"""The run part of the conformance set: each case's steps carried out by the Terragrunt runner
(`counterstack.terragrunt.run`) in a fresh copy of its tree, each step held to what Terragrunt's
own tests assert. Cases whose steps run Terraform are `slow` (seconds each); the rest, and the
tables of the run part (test_conformance_run_tables.py), run by default.
"""

import io
from pathlib import Path

import pytest
from conformance_data import require_data, skip_module_without_data
from run_cases import clean_env, lay_out_run, load_run, mismatches, placeholders, remove, run_ids

from counterstack.terragrunt.run.main import terragrunt

pytestmark = pytest.mark.live
skip_module_without_data()

# Cases that never reach Terraform: refused or skipped before any command runs.
NO_TERRAFORM = {
    "dependency-cycle-error",
    "dep-outputs-genuine-error-surfaces",
    "error-hook-on-source-download-fail",
    "exclude-single-no-run-early-exit",
    "run-all-exclude-no-run-all-units",
}


def _param(case_id: str):
    return pytest.param(case_id, marks=() if case_id in NO_TERRAFORM else pytest.mark.slow)


@pytest.mark.parametrize("case_id", [_param(c) for c in run_ids()])
def test_run_case(case_id: str, tmp_path: Path):
    require_data()
    case = load_run(case_id)
    root = lay_out_run(case_id, tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = clean_env(case)
    for number, step in enumerate(case["steps"], 1):
        if "remove_files" in step:
            remove(root, step["remove_files"])
            continue
        argv = placeholders(step["argv"], scratch)
        out, err = io.StringIO(), io.StringIO()
        code = terragrunt(argv, root / step["dir"], env, out, err)
        found = mismatches(
            placeholders(step["expect"], scratch), code, out.getvalue(), err.getvalue(), root
        )
        assert not found, (
            f"step {number} ({step['dir']}: terragrunt {' '.join(argv)}): "
            + "; ".join(found)
            + f"\n--- stdout\n{out.getvalue()[-3000:]}\n--- stderr\n{err.getvalue()[-3000:]}"
        )


def test_the_whole_run_part_is_there():
    require_data()
    assert len(run_ids()) == 42
