"""Datapoints in moto's CloudWatch backend: written as a service publishes them, read back recent.

Written straight into the backend (not over HTTP), so every request the gateway serves costs a
few list appends, not a signed call.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from moto.backends import get_backend
from moto.cloudwatch.models import MetricDatum
from moto.core.utils import utcnow

# Reading stops at the first datapoint this much older than the evaluated range: the list is in
# arrival order, and the services' datapoints arrive as they happen. One put with an older
# timestamp behind newer ones is not seen by alarms.
LATE_ARRIVAL_SECONDS = 5.0


def backend(account_id: str, region: str) -> Any:
    return get_backend("cloudwatch")[account_id][region]


def put(
    account_id: str,
    region: str,
    namespace: str,
    values: Mapping[str, tuple[float, str]],
    dimension_sets: list[dict[str, str]],
) -> None:
    """One datapoint per metric (`name -> (value, unit)`) for each set of dimensions, now.

    Appended as moto's PutMetricData stores them, without its validation of a client's input
    (a third of a millisecond per request on the gateway's path).
    """
    data = backend(account_id, region).metric_data
    now = utcnow()
    for dims in dimension_sets:
        dimensions = [{"Name": key, "Value": value} for key, value in dims.items()]
        for name, (value, unit) in values.items():
            data.append(MetricDatum(namespace, name, value, dimensions, now, unit))


def epoch(timestamp: datetime) -> float:
    """moto keeps naive UTC datetimes."""
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    return timestamp.timestamp()


def recent(
    cloudwatch: Any, namespace: str, name: str, dimensions: dict[str, str], since: float
) -> Iterator[tuple[float, float]]:
    """(epoch, value) of a metric's datapoints since `since`, newest first.

    Datapoints whose dimensions include the asked ones count, as moto's GetMetricStatistics
    reads them: services publish their most detailed dimension set only (`ApiId` + `Stage`,
    `FunctionName`), and a query on fewer dimensions sees the aggregate AWS publishes for them.
    """
    wanted = set(dimensions.items())
    for datum in reversed(cloudwatch.metric_data):
        at = epoch(datum.timestamp)
        if at < since - LATE_ARRIVAL_SECONDS:
            return
        if at < since or datum.namespace != namespace or datum.name != name:
            continue
        if not wanted <= {(d.name, d.value) for d in datum.dimensions}:
            continue
        if hasattr(datum, "value"):
            yield at, datum.value
        else:  # a statistic set: its average stands for its samples
            yield at, datum.sum / max(datum.sample_count, 1)
