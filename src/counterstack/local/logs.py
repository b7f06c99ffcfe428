"""Function logs into CloudWatch Logs, the way Lambda writes them.

Lambda writes `START`, the function's output, `END` and `REPORT` lines to a stream of
`/aws/lambda/<function>` per execution environment. The group is only written when it exists
(the stack creates it with a retention): creating it here would leave a group Terraform does not
manage and the leak check would rightly flag it.
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
"""

from __future__ import annotations

import time

from moto.backends import get_backend

from counterstack.local import locks


def write_invocation(
    account_id: str,
    region: str,
    group: str,
    stream: str,
    request_id: str,
    version: str,
    output: str,
    duration_ms: float,
    memory_size: int,
) -> None:
    """Append one invocation's lines to `group/stream`; silently skip a missing group."""
    lines = [f"START RequestId: {request_id} Version: {version}"]
    lines += [line for line in output.splitlines() if line.strip()]
    lines.append(f"END RequestId: {request_id}")
    lines.append(
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, round(duration_ms))} ms\tMemory Size: {memory_size} MB"
    )
    _append(account_id, region, group, stream, lines)


def write_access_log(account_id: str, region: str, group: str, stream: str, line: str) -> None:
    """One access-log line of an HTTP API stage (skipped when the group is missing)."""
    _append(account_id, region, group, stream, [line])


def _append(account_id: str, region: str, group: str, stream: str, lines: list[str]) -> None:
    """Put lines into `group/stream`, creating the stream; skip a group that does not exist."""
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": line} for line in lines]
    with locks.LOGS:
        log_group = get_backend("logs")[account_id][region].groups.get(group)
        if log_group is None:
            return
        if stream not in log_group.streams:
            log_group.create_log_stream(stream)
        log_group.put_log_events(stream, events)
