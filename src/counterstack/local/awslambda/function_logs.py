"""Function logs the way Lambda writes them: its own lines around what the function wrote.

Lambda adds `START RequestId: … Version: …`, `END RequestId: …` and a `REPORT` line (durations,
memory, `Init Duration` on a cold start, a status when the invocation failed) in plain text; with
`LoggingConfig.LogFormat = JSON` the same facts are `platform.start` and `platform.report`
objects, written only when the system log level lets INFO through. The lines go to a stream of
`/aws/lambda/<function>` per execution environment; the group is only written when it exists
(the stack creates it with a retention); Lambda would create it on first invoke, which is not
modelled (a listed local difference).
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html
https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html (the REPORT example)
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from counterstack.local import cloudwatch_logs

SYSTEM_LEVELS = ("DEBUG", "INFO", "WARN")  # platform.start/report are INFO records


@dataclass(frozen=True)
class Report:
    """The figures of one invocation's REPORT line."""

    request_id: str
    duration_ms: float
    memory_size: int
    max_memory_mb: int
    init_ms: float | None = None  # cold starts only
    status: str = "success"  # success, failure (the function's error), error (init, exit), timeout
    error_type: str | None = None

    @property
    def billed_ms(self) -> int:
        # Managed runtimes bill the init phase of a cold start too (the docs' REPORT example:
        # Duration 15.74 ms, Init Duration 130.49 ms, Billed Duration 147 ms).
        return max(1, math.ceil(self.duration_ms + (self.init_ms or 0.0)))


def start_line(log_format: str, request_id: str, version: str, system_level: str) -> list[str]:
    if log_format != "JSON":
        return [f"START RequestId: {request_id} Version: {version}"]
    if not _info_allowed(system_level):
        return []
    return [_platform("platform.start", {"requestId": request_id, "version": version})]


def end_lines(log_format: str, report: Report, system_level: str) -> list[str]:
    """END and REPORT in text; platform.report in JSON."""
    if log_format != "JSON":
        fields = [
            f"REPORT RequestId: {report.request_id}",
            f"Duration: {report.duration_ms:.2f} ms",
            f"Billed Duration: {report.billed_ms} ms",
            f"Memory Size: {report.memory_size} MB",
            f"Max Memory Used: {report.max_memory_mb} MB",
        ]
        if report.init_ms is not None:
            fields.append(f"Init Duration: {report.init_ms:.2f} ms")
        if report.status in ("error", "timeout"):  # a function's own error adds nothing here
            fields.append(f"Status: {report.status}")
            if report.error_type:
                fields.append(f"Error Type: {report.error_type}")
        return [f"END RequestId: {report.request_id}", "\t".join(fields) + "\t"]
    if not _info_allowed(system_level):
        return []
    metrics = {
        "durationMs": round(report.duration_ms, 3),
        "billedDurationMs": report.billed_ms,
        "memorySizeMB": report.memory_size,
        "maxMemoryUsedMB": report.max_memory_mb,
    }
    if report.init_ms is not None:
        metrics["initDurationMs"] = round(report.init_ms, 3)
    record: dict = {"requestId": report.request_id, "metrics": metrics, "status": report.status}
    if report.error_type:
        record["errorType"] = report.error_type
    return [_platform("platform.report", record)]


def write(account_id: str, region: str, group: str, stream: str, lines: list[str]) -> None:
    """Append one invocation's log events to `group/stream`; silently skip a missing group."""
    cloudwatch_logs.append(account_id, region, group, stream, lines)


def _info_allowed(system_level: str) -> bool:
    return (system_level or "INFO").upper() in SYSTEM_LEVELS[:2]


def timestamp(epoch: float) -> str:
    """UTC with milliseconds, as Lambda stamps its lines: 2024-05-16T18:19:52.539Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


def _platform(kind: str, record: dict) -> str:
    return json.dumps({"time": timestamp(time.time()), "type": kind, "record": record})
