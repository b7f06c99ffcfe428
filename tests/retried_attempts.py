"""pytest plugin: at the end of a run, the SDK attempts the local accounts saw retried although
they had not failed the attempt before (lost answers,
`counterstack.local.transport.retried_attempts`).

Fixtures that stop an account call `record_retried_attempts()` first; tests/conftest.py imports
the hooks. Each xdist worker hands its figures to the controller, which prints one line: the
total (0 on a healthy run), then each worker's count and the operations retried, then the latest
lost ones by invocation id (grep a provider log or a capture for it).
"""

import json

import pytest
import requests

from counterstack.local.client import HEALTH_PATH

RECORDED = pytest.StashKey[list]()  # this process's accounts: counts by operation, recent ones
BY_WORKER = pytest.StashKey[dict]()  # xdist controller: worker id -> that worker's merged record
WORKER_OUTPUT_KEY = "counterstack_retried_attempts"


def record_retried_attempts(config: pytest.Config, endpoint: str) -> None:
    """Keep the account's lost-answer retries (by operation, and the latest) before it stops."""
    try:
        health = requests.get(endpoint + HEALTH_PATH, timeout=10).json()
    except (requests.RequestException, ValueError):
        return  # an account that no longer answers has nothing to report
    config.stash.setdefault(RECORDED, []).append(
        {
            "by_operation": health.get("retried_attempts_by_operation", {}),
            "recent": health.get("retried_attempts_recent", []),
        }
    )


def _merged(recorded: list[dict]) -> dict:
    by_operation: dict[str, int] = {}
    recent: list[dict] = []
    for record in recorded:
        for operation, count in record["by_operation"].items():
            by_operation[operation] = by_operation.get(operation, 0) + count
        recent += record["recent"]
    return {"by_operation": by_operation, "recent": recent}


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
    """The total, each worker's count and the operations retried; then the latest lost ones."""
    if hasattr(config, "workeroutput"):
        return  # a worker: the controller prints
    by_worker = config.stash.get(BY_WORKER, {})
    if not by_worker and RECORDED in config.stash:
        by_worker = {"main": _merged(config.stash[RECORDED])}
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
