"""pytest plugin: one line at the end of a run, `terragrunt conformance: N passed, M failed, K
skipped`, counting the tests of tests/terragrunt_conformance (each case and table row once).

Registered by tests/conftest.py, so the xdist controller (which sees every worker's reports but
loads no test folder's conftest) prints it too. Skips name the feature we do not claim (-ra).
"""

import pytest

FOLDER = "terragrunt_conformance/"
OUTCOMES: dict[str, str] = {}  # node id -> outcome, in this process (the controller's is whole)


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
        counts = ", ".join(f"{outcomes.count(o)} {o}" for o in ("passed", "failed", "skipped"))
        terminalreporter.write_line(f"terragrunt conformance: {counts}")
