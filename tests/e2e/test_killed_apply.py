"""A run killed mid-apply (SIGKILL, as a cancelled CI job) is swept clean by its prefix.

It earns a stack of its own: a half-applied one, which only a killed apply makes. Terraform runs
here with its normal provider launch: the SIGKILL of its process group must not take a shared
provider (serving other stacks) with it.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from counterstack.harness.inventory import list_resources
from counterstack.harness.stack import prepare_stack
from counterstack.harness.sweep import sweep
from counterstack.paths import EXAMPLE_COMPLETE
from counterstack.terraform_cli import terraform_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_apply_killed_midway_is_swept_clean(target, name_prefix, tmp_path):
    prefix = name_prefix()
    tfdir = prepare_stack(EXAMPLE_COMPLETE, target, tmp_path, prefix)
    env = {**os.environ, **terraform_env(), **target.terraform_env()}
    subprocess.run(
        ["terraform", "init", "-input=false"], cwd=tfdir, env=env, check=True, capture_output=True
    )
    apply = subprocess.Popen(
        ["terraform", "apply", "-auto-approve", "-input=false", "-no-color"],
        cwd=tfdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # kill terraform and its provider plugin together
    )
    try:
        deadline = time.monotonic() + 120
        while not list_resources(target.client, f"{prefix}-"):
            assert apply.poll() is None, "apply finished before it could be killed"
            assert time.monotonic() < deadline, "apply created nothing within 120 s"
            time.sleep(0.05)
    finally:
        os.killpg(apply.pid, signal.SIGKILL)
        apply.wait()
    assert apply.returncode == -signal.SIGKILL
    wait_for_group_exit(apply.pid)  # the provider too: nothing of the run can send a call now

    # A call the provider had sent before it died may still complete on the server side after a
    # sweep listed: sweep again until a listing finds nothing (each round deletes what it finds;
    # a kind the sweep misses stays listed through every round and fails the test).
    results = []
    for _ in range(SWEEP_ROUNDS):
        results += sweep(target.client, f"{prefix}-")
        if not list_resources(target.client, f"{prefix}-"):
            break

    assert results, "the killed apply left nothing to sweep: the fault was not exercised"
    assert [r.outcome for r in results] == ["deleted"] * len(results)
    assert list_resources(target.client, f"{prefix}-") == []


SWEEP_ROUNDS = 3
GROUP_EXIT_SECONDS = 60  # a bound for the failing case: SIGKILLed processes end at once


def live_members(group: int) -> list[int]:
    """The processes of `group` that still run (Linux /proc); a zombie sends no call."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while listed
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            members.append(int(stat.parent.name))
    return members


def wait_for_group_exit(group: int) -> None:
    """Until no process of the killed process group runs: an event, the bound is for failure."""
    deadline = time.monotonic() + GROUP_EXIT_SECONDS
    while members := live_members(group):
        assert time.monotonic() < deadline, f"process group {group} outlived SIGKILL: {members}"
        time.sleep(0.05)
