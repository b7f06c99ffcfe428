"""Function logs into CloudWatch Logs, the way Lambda writes them.

Lambda writes `START`, the function's output, `END` and `REPORT` lines to a stream of
`/aws/lambda/<function>` per execution environment. The group is only written when it exists
(the stack creates it with a retention); Lambda would create it on first invoke, which is not
modelled (a listed local difference).
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
"""

from __future__ import annotations

from counterstack.local import cloudwatch_logs


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
    cloudwatch_logs.append(account_id, region, group, stream, lines)
