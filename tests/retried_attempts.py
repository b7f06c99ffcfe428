"""pytest plugin: at the end of a run, the SDK attempts the local accounts saw retried although
they had not failed the attempt before (lost answers,
`counterstack.local.transport.retried_attempts`).

Fixtures that stop an account call `record_retried_attempts()` first; tests/conftest.py imports
the hooks. Each xdist worker hands its figures to the controller, which prints one line: the
total (0 on a healthy run), then each worker's count and the operations retried, then the latest
lost ones by invocation id (grep a provider log or a capture for it).

The local accounts answer every request they are sent, so a lost answer there is a transport bug
the SDK retried over: under CI (`CI=true`, as GitHub sets it) or with `--fail-on-lost-answers`
the run fails, naming the count and the tests that shared the account. Only local accounts are
recorded: on `--target aws` a retry is AWS's business and nothing is counted.
"""

import json
import os

import pytest
import requests

from counterstack.local.client import HEALTH_PATH

RECORDED = pytest.StashKey[list]()  # this process's accounts: counts by operation, recent ones
BY_WORKER = pytest.StashKey[dict]()  # xdist controller: worker id -> that worker's merged record
WORKER_OUTPUT_KEY = "counterstack_retried_attempts"
USERS = pytest.StashKey[dict]()  # account fixture -> node ids of this process's tests using it
ACCOUNT_FIXTURES = ("target", "aws_endpoint")  # the session fixtures that start a local account
FAIL_OPTION = "--fail-on-lost-answers"


def add_lost_answer_option(group) -> None:
    group.addoption(
        FAIL_OPTION,
        action="store_true",
        help="fail the run when a local account saw a lost answer (on by default under CI=true)",
    )


def fails_on_lost_answers(config: pytest.Config) -> bool:
    return bool(config.getoption(FAIL_OPTION, False)) or os.environ.get("CI", "").lower() in (
        "true",
        "1",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Remember which tests used which account: a lost answer is then named with them."""
    for fixture in ACCOUNT_FIXTURES:
        if fixture in getattr(item, "fixturenames", ()):
            item.config.stash.setdefault(USERS, {}).setdefault(fixture, []).append(item.nodeid)


def record_retried_attempts(config: pytest.Config, endpoint: str, fixture: str) -> None:
    """Keep a local account's lost-answer retries (by operation, and the latest) before it
    stops, with the tests that used it through `fixture`."""
    try:
        health = requests.get(endpoint + HEALTH_PATH, timeout=10).json()
    except (requests.RequestException, ValueError):
        return  # an account that no longer answers has nothing to report
    by_operation = health.get("retried_attempts_by_operation", {})
    config.stash.setdefault(RECORDED, []).append(
        {
            "by_operation": by_operation,
            "recent": health.get("retried_attempts_recent", []),
            "lost": [
                {
                    "count": sum(by_operation.values()),
                    "tests": list(config.stash.get(USERS, {}).get(fixture, [])),
                }
            ]
            if by_operation
            else [],
        }
    )


def _merged(recorded: list[dict]) -> dict:
    by_operation: dict[str, int] = {}
    recent: list[dict] = []
    lost: list[dict] = []
    for record in recorded:
        for operation, count in record["by_operation"].items():
            by_operation[operation] = by_operation.get(operation, 0) + count
        recent += record["recent"]
        lost += record.get("lost", [])
    return {"by_operation": by_operation, "recent": recent, "lost": lost}


def _by_worker(config: pytest.Config) -> dict[str, dict]:
    by_worker = config.stash.get(BY_WORKER, {})
    if not by_worker and RECORDED in config.stash:
        by_worker = {"main": _merged(config.stash[RECORDED])}
    return by_worker


def lost_answer_failure(by_worker: dict[str, dict]) -> str | None:
    """The failure to report for these figures: the count, and each account's tests."""
    accounts = [(worker, lost) for worker, r in sorted(by_worker.items()) for lost in r["lost"]]
    total = sum(lost["count"] for _, lost in accounts)
    if not total:
        return None
    lines = [f"{total} lost answer(s) on the local account: a transport bug the SDK retried over"]
    for worker, lost in accounts:
        lines.append(f"  {worker}: {lost['count']}, on the account these tests shared:")
        lines += [f"    {nodeid}" for nodeid in lost["tests"]]
    return "\n".join(lines)


FAILURE = pytest.StashKey[str]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_OUTPUT_KEY] = json.dumps(
            _merged(session.config.stash.get(RECORDED, []))
        )
        return
    failure = lost_answer_failure(_by_worker(session.config))
    if failure and fails_on_lost_answers(session.config):
        session.config.stash[FAILURE] = failure
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """xdist controller: collect a finished worker's figures."""
    output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if output is not None:
        node.config.stash.setdefault(BY_WORKER, {})[node.gateway.id] = json.loads(output)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """The total, each worker's count and the operations retried; then the latest lost ones."""
    if hasattr(config, "workeroutput"):
        return  # a worker: the controller prints
    by_worker = _by_worker(config)
    if not by_worker:
        return  # no local account ran
    counts = {worker: record["by_operation"] for worker, record in sorted(by_worker.items())}
    total = sum(sum(by_operation.values()) for by_operation in counts.values())
    parts = [
        f"{worker}={sum(by_operation.values())}"
        + (f" {json.dumps(by_operation)}" if by_operation else "")
        for worker, by_operation in counts.items()
    ]
    terminalreporter.write_line(
        f"retried SDK attempts (lost answers): {total} [{'; '.join(parts)}]"
    )
    for worker, record in sorted(by_worker.items()):
        for lost in record["recent"]:
            earlier = lost["earlier_status"]
            terminalreporter.write_line(
                f"  {worker}: {lost['operation']} invocation {lost['invocation_id']} attempt "
                f"{lost['attempt']} (earlier attempt: "
                + (f"answered {earlier})" if earlier else "never answered)")
            )
    if FAILURE in config.stash:
        terminalreporter.write_line(
            f"FAILED ({FAIL_OPTION}, or CI=true): {config.stash[FAILURE]}", red=True
        )
