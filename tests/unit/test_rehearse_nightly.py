"""scripts/rehearse-nightly runs both nightly jobs and the final sweep whatever fails first, then
fails naming what failed: a failing e2e job must not hide the account job or a leak.

The script runs from a copy of its folder whose nightly scripts and `counterstack` are stand-ins
that log their turn and exit as told.
"""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from counterstack.paths import REPO_ROOT

pytestmark = pytest.mark.unit

CLEAN = "0 resource(s) matched 'ct-'; 0 failed"
FAKE_COUNTERSTACK = """#!/usr/bin/env bash
case "$1" in
  account) echo "local AWS account ready at http://127.0.0.1:9 (stand-in)"; exec sleep 600 ;;
  sweep) echo sweep >>"$REHEARSAL_LOG"; echo "$SWEEP_SAYS"; exit "${SWEEP_EXIT:-0}" ;;
esac
"""
FAKE_JOB = """#!/usr/bin/env bash
echo {name} >>"$REHEARSAL_LOG"
exit "${{{variable}:-0}}"
"""


def executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def rehearse(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    scripts, bin_dir, log = tmp_path / "scripts", tmp_path / "bin", tmp_path / "log"
    scripts.mkdir()
    bin_dir.mkdir()
    shutil.copy(REPO_ROOT / "scripts" / "rehearse-nightly", scripts)
    for name, variable in (("nightly-e2e", "E2E_EXIT"), ("nightly-account", "ACCOUNT_EXIT")):
        executable(scripts / name, FAKE_JOB.format(name=name, variable=variable))
    executable(bin_dir / "counterstack", FAKE_COUNTERSTACK)
    log.touch()
    result = subprocess.run(
        ["bash", str(scripts / "rehearse-nightly")],
        env={
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "REHEARSAL_LOG": str(log),
            "SWEEP_SAYS": CLEAN,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, log.read_text().split()


EVERY_STEP = ["nightly-e2e", "nightly-account", "sweep"]


def test_all_green_passes(tmp_path):
    result, ran = rehearse(tmp_path)
    assert result.returncode == 0, result.stderr
    assert ran == EVERY_STEP


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"E2E_EXIT": "1"}, "nightly-e2e (exit 1)"),
        ({"ACCOUNT_EXIT": "2"}, "nightly-account (exit 2)"),
        ({"SWEEP_SAYS": "1 resource(s) matched 'ct-'; 0 failed"}, "sweep (exit 1)"),
        ({"SWEEP_EXIT": "3"}, "sweep (exit 3)"),
    ],
    ids=["e2e-fails", "account-fails", "sweep-finds-leftovers", "sweep-errs"],
)
def test_a_failure_fails_the_rehearsal_after_every_step_ran(tmp_path, env, named):
    result, ran = rehearse(tmp_path, **env)
    assert ran == EVERY_STEP, result.stderr
    assert result.returncode != 0
    assert f"rehearse-nightly: FAILED {named}" in result.stderr
