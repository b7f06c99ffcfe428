"""pytest plugin: at the end of a run, the SDK attempts the local accounts saw retried although
they had not failed the attempt before (lost answers, `counterstack.local.retries`).

Fixtures that stop an account call `record_retried_attempts()` first; tests/conftest.py imports
the hooks. Each xdist worker hands its figures to the controller, which prints one line: the
total (0 on a healthy run), then each worker's count and the operations retried.
"""

import json

import pytest
import requests

from counterstack.local.client import HEALTH_PATH

RECORDED = pytest.StashKey[list]()  # this process's accounts, by operation
BY_WORKER = pytest.StashKey[dict]()  # xdist controller: worker id -> counts by operation
WORKER_OUTPUT_KEY = "counterstack_retried_attempts"


def record_retried_attempts(config: pytest.Config, endpoint: str) -> None:
    """Keep the account's count of lost-answer retries, by operation, before it stops."""
    try:
        health = requests.get(endpoint + HEALTH_PATH, timeout=10).json()
    except (requests.RequestException, ValueError):
        return  # an account that no longer answers has nothing to report
    config.stash.setdefault(RECORDED, []).append(health.get("retried_attempts_by_operation", {}))


def _merged(recorded: list[dict]) -> dict[str, int]:
    total: dict[str, int] = {}
    for by_operation in recorded:
        for operation, count in by_operation.items():
            total[operation] = total.get(operation, 0) + count
    return total


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_OUTPUT_KEY] = json.dumps(
            _merged(session.config.stash.get(RECORDED, []))
        )


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """xdist controller: collect a finished worker's figures."""
    output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if output is not None:
        node.config.stash.setdefault(BY_WORKER, {})[node.gateway.id] = json.loads(output)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """One line: the total, then each worker's count and the operations retried."""
    if hasattr(config, "workeroutput"):
        return  # a worker: the controller prints
    by_worker = config.stash.get(BY_WORKER, {})
    if not by_worker and RECORDED in config.stash:
        by_worker = {"main": _merged(config.stash[RECORDED])}
    if not by_worker:
        return  # no local account ran
    total = sum(sum(counts.values()) for counts in by_worker.values())
    parts = [
        f"{worker}={sum(counts.values())}" + (f" {json.dumps(counts)}" if counts else "")
        for worker, counts in sorted(by_worker.items())
    ]
    terminalreporter.write_line(
        f"retried SDK attempts (lost answers): {total} [{'; '.join(parts)}]"
    )
