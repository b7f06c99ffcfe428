"""pytest plugin: lines at the end of a run, `terragrunt conformance: N passed, M failed, K
skipped`, counting the tests of tests/terragrunt_conformance (each case and table row once), and
the same for its run part alone (`runs/` cases and the run tables: queue, inputs, bootstrap).

Registered by tests/conftest.py, so the xdist controller (which sees every worker's reports but
loads no test folder's conftest) prints it too. Skips name the feature we do not claim (-ra).
"""

import pytest

FOLDER = "terragrunt_conformance/"
OUTCOMES: dict[str, str] = {}  # node id -> outcome, in this process (the controller's is whole)
RUN_PART = (
    "test_conformance_runs.py",
    "test_conformance_run_tables.py",
    "test_conformance_backend_bootstrap.py",
)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if FOLDER not in report.nodeid or "[" not in report.nodeid:  # cases and rows only
        return
    outcomes = OUTCOMES
    if report.failed:
        outcomes[report.nodeid] = "failed"
    elif report.skipped:
        outcomes.setdefault(report.nodeid, "skipped")
    elif report.when == "call":
        outcomes.setdefault(report.nodeid, "passed")


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    outcomes = list(OUTCOMES.values())
    if outcomes:
        terminalreporter.write_line(f"terragrunt conformance: {_counts(outcomes)}")
    run_part = [o for node, o in OUTCOMES.items() if any(f in node for f in RUN_PART)]
    if run_part:
        terminalreporter.write_line(f"terragrunt conformance, run part: {_counts(run_part)}")


def _counts(outcomes: list[str]) -> str:
    return ", ".join(f"{outcomes.count(o)} {o}" for o in ("passed", "failed", "skipped"))
