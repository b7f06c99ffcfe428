"""A bare `pytest` is the two-minute run: it leaves the slow tests to `pytest -m slow`, and
naming a test or giving `-m` runs what was asked (tests/conftest.py, `leaves_out_slow`)."""

import subprocess
import sys

import pytest

from counterstack.paths import REPO_ROOT

pytestmark = [pytest.mark.unit, pytest.mark.slow]  # two collections of the whole suite

SLOW = "tests/e2e/test_up.py::test_up_serves_the_counter_and_destroys_it_on_ctrl_c"
DEFAULT = "tests/e2e/test_visitors.py::test_each_get_counts_one_visit"


def collected(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_bare_run_leaves_out_the_slow_tests_and_counts_them():
    output = collected()
    assert DEFAULT in output.splitlines()
    assert SLOW not in output.splitlines()
    assert "deselected" in output.splitlines()[-1]


@pytest.mark.parametrize("args", [("tests/e2e/test_up.py",), ("-m", "slow")], ids=["named", "-m"])
def test_a_named_file_or_a_marker_runs_the_slow_tests(args):
    assert SLOW in collected(*args).splitlines()
