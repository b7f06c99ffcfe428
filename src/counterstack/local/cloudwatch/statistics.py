"""One period's statistic of a metric, as CloudWatch computes it from the period's values.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Statistic:
SampleCount, Sum, Average, Minimum, Maximum, and percentiles `pNN` / `pNN.NN` (extended
statistics; here the nearest-rank percentile of the raw values). Other extended statistics
(trimmed means `tmNN`, `wmNN`, ...) are not computed: such an alarm sees no data.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/percentiles-with-low-samples.html:
a percentile period with fewer than 10/(1-p) values (p >= 0.5; 1,000 for p99) or 10/p (p < 0.5)
is a low sample count, which an alarm may ignore.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from fractions import Fraction

PERCENTILE = re.compile(r"^p(?P<rank>\d{1,2}(\.\d{1,10})?|100)$")


class UnsupportedStatistic(ValueError):
    """A statistic this account does not compute."""


def compute(values: Sequence[float], statistic: str) -> float | None:
    """The statistic of one period's values; None when the period has none (missing data)."""
    if not values:
        return None
    if statistic == "SampleCount":
        return float(len(values))
    if statistic == "Sum":
        return float(sum(values))
    if statistic == "Average":
        return float(sum(values)) / len(values)
    if statistic == "Minimum":
        return float(min(values))
    if statistic == "Maximum":
        return float(max(values))
    match = PERCENTILE.match(statistic)
    if match is None:
        raise UnsupportedStatistic(f"statistic {statistic!r} is not computed locally")
    ordered = sorted(values)
    rank = max(1, math.ceil(float(match["rank"]) / 100 * len(ordered)))
    return float(ordered[rank - 1])


def low_sample_count(statistic: str, samples: int) -> bool:
    """Whether a period of `samples` values (at least one) is too few for the percentile
    `statistic` to be statistically significant; never for the other statistics."""
    match = PERCENTILE.match(statistic)
    if match is None or samples == 0:  # a period without values is missing data, not a few
        return False
    fraction = Fraction(match["rank"]) / 100  # exact: 10/(1-0.99) is 1,000, not 1,000.0000001
    if fraction >= 1 or fraction <= 0:
        return False
    needed = 10 / (1 - fraction) if fraction >= Fraction(1, 2) else 10 / fraction
    return samples < needed
