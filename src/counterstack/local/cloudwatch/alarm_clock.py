"""Evaluates every metric alarm of the account, on a clock faster than CloudWatch's.

CloudWatch evaluates a metric alarm once a period over its last N periods. The local account
evaluates every `TICK_SECONDS` over the last N periods ending now, each period `SPEEDUP` times
shorter than configured (default 20: a 60 s period lasts 3 s), so a test sees an alarm fire and
recover in seconds. `COUNTERSTACK_ALARM_SPEEDUP=1` gives CloudWatch's own periods. A new alarm
starts in INSUFFICIENT_DATA, as on AWS (moto creates it OK). A percentile alarm with
`EvaluateLowSampleCountPercentile=ignore` keeps its state while its newest period holds some,
but too few, values for the percentile (statistics.low_sample_count). Composite alarms and alarms
on metric math are stored but not evaluated.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from moto.backends import get_backend

from counterstack.errors import CounterStackError
from counterstack.local.cloudwatch import alarm_message, metrics, statistics
from counterstack.local.cloudwatch.evaluation import INSUFFICIENT_DATA, evaluate

SPEEDUP_ENV = "COUNTERSTACK_ALARM_SPEEDUP"
DEFAULT_SPEEDUP = 20.0
TICK_SECONDS = 0.5
INITIAL_REASON = "Unchecked: Initial alarm creation"


def speedup_from_env() -> float:
    raw = os.environ.get(SPEEDUP_ENV, "")
    try:
        value = float(raw) if raw else DEFAULT_SPEEDUP
    except ValueError:
        value = 0.0
    if not 1 <= value <= 3600:
        raise CounterStackError(f"{SPEEDUP_ENV} must be a number from 1 to 3600, not {raw!r}")
    return value


def metric_alarms() -> list[tuple[str, str, Any]]:
    """(account id, region, moto alarm) of every alarm on a single metric."""
    found = []
    for account_id, regions in list(get_backend("cloudwatch").items()):
        for region, backend in list(regions.items()):
            for alarm in list(backend.alarms.values()):
                if alarm.metric_name and not alarm.metric_data_queries and not alarm.rule:
                    found.append((account_id, region, alarm))
    return found


def alarm_states() -> list[dict[str, str]]:
    """Every metric alarm's name, region and state, for the health endpoint."""
    return [
        {"name": alarm.name, "region": region, "state": alarm.state_value}
        for _, region, alarm in sorted(metric_alarms(), key=lambda found: found[2].name)
    ]


class AlarmClock:
    """A background thread that evaluates alarms and sends their notifications."""

    def __init__(self, speedup: float | None = None) -> None:
        self.speedup = speedup if speedup is not None else speedup_from_env()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._configured: dict[str, Any] = {}  # alarm ARN -> configuration seen

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="counterstack-alarms", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget the alarms seen (the account forgot them)."""
        self._configured.clear()

    def _run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            self.tick()

    def tick(self, now: float | None = None) -> list[tuple[str, str, str]]:
        """Evaluate every alarm once; (alarm name, old state, new state) of each change."""
        now = time.time() if now is None else now
        changes = []
        for account_id, region, alarm in metric_alarms():
            try:
                change = self._evaluate(account_id, region, alarm, now)
            except (ValueError, KeyError):  # a statistic or comparison not evaluated here
                continue
            if change is not None:
                changes.append(change)
        return changes

    def _evaluate(
        self, account_id: str, region: str, alarm: Any, now: float
    ) -> tuple[str, str, str] | None:
        if self._configured.get(alarm.alarm_arn) is not alarm:  # new, or put again
            self._configured[alarm.alarm_arn] = alarm
            alarm.update_state(INITIAL_REASON, "{}", INSUFFICIENT_DATA)
        period = float(alarm.period) / self.speedup
        count = int(alarm.evaluation_periods)
        statistic = alarm.extended_statistic or alarm.statistic
        dimensions = {d.name: d.value for d in alarm.dimensions}
        cloudwatch = metrics.backend(account_id, region)
        buckets: list[list[float]] = [[] for _ in range(count)]
        for at, value in metrics.recent(
            cloudwatch, alarm.namespace, alarm.metric_name, dimensions, now - count * period
        ):
            index = int((now - at) // period)
            if 0 <= index < count:
                buckets[index].append(value)
        newest = len(buckets[0])
        if _ignores_low_samples(alarm) and statistics.low_sample_count(statistic, newest):
            return None  # some requests, too few for the percentile to mean anything: no change
        datapoints = [statistics.compute(bucket, statistic) for bucket in buckets]
        outcome = evaluate(
            datapoints,
            alarm.comparison_operator,
            float(alarm.threshold),
            int(alarm.datapoints_to_alarm or count),
            alarm.treat_missing_data or "missing",
            alarm.state_value,
        )
        old = alarm.state_value
        if outcome.state == old:
            return None
        reason_data = {
            "version": "1.0",
            "statistic": statistic,
            "period": int(alarm.period),
            "recentDatapoints": [value for value in datapoints if value is not None],
            "threshold": float(alarm.threshold),
        }
        alarm.update_state(outcome.reason, json.dumps(reason_data), outcome.state)
        alarm_message.notify(alarm, account_id, old)
        return alarm.name, old, outcome.state


def _ignores_low_samples(alarm: Any) -> bool:
    return bool(alarm.extended_statistic) and alarm.evaluate_low_sample_count_percentile == "ignore"
