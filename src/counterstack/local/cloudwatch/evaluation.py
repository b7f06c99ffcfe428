"""A metric alarm's next state from its latest datapoints, as CloudWatch documents it.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
(Evaluating an alarm; Configuring how alarms treat missing data): the alarm looks at its last
`evaluation_periods` (N) periods and goes to ALARM when `datapoints_to_alarm` (M) of them breach
the threshold, else OK. A period without data counts as not breaching (`notBreaching`), breaching
(`breaching`), or is skipped (`missing`, `ignore`): then fewer than M present datapoints that all
breach are enough for ALARM, and with none at all the alarm goes to INSUFFICIENT_DATA (`missing`)
or keeps its state (`ignore`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": (lambda value, threshold: value >= threshold, ">="),
    "GreaterThanThreshold": (lambda value, threshold: value > threshold, ">"),
    "LessThanThreshold": (lambda value, threshold: value < threshold, "<"),
    "LessThanOrEqualToThreshold": (lambda value, threshold: value <= threshold, "<="),
}
OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"


@dataclass(frozen=True)
class Outcome:
    state: str
    reason: str
    breaching: int  # periods counted as breaching


def breaches(comparison: str, value: float, threshold: float) -> bool:
    if comparison not in COMPARISONS:
        raise ValueError(f"comparison {comparison!r} is not evaluated locally")
    return COMPARISONS[comparison][0](value, threshold)


def evaluate(
    datapoints: Sequence[float | None],
    comparison: str,
    threshold: float,
    datapoints_to_alarm: int,
    treat_missing_data: str,
    current_state: str,
) -> Outcome:
    """`datapoints`: one value (None when missing) per evaluated period, newest first."""
    present = [value for value in datapoints if value is not None]
    missing = len(datapoints) - len(present)
    breaching = sum(breaches(comparison, value, threshold) for value in present)
    needed = datapoints_to_alarm
    if treat_missing_data == "breaching":
        breaching += missing
    elif treat_missing_data in ("missing", "ignore", "", None):
        if not present:
            if treat_missing_data == "ignore":
                return Outcome(current_state, "", 0)
            return Outcome(
                INSUFFICIENT_DATA,
                f"Insufficient Data: {len(datapoints)} datapoints were unknown.",
                0,
            )
        needed = min(needed, len(present))
    state = ALARM if breaching >= needed else OK
    return Outcome(state, _reason(datapoints, comparison, threshold, breaching, state), breaching)


def _reason(
    datapoints: Sequence[float | None],
    comparison: str,
    threshold: float,
    breaching: int,
    state: str,
) -> str:
    """CloudWatch's wording: 'Threshold Crossed: 1 out of the last 1 datapoints [3.0] was >= …'."""
    shown = ", ".join(f"{value}" for value in datapoints if value is not None) or "no data"
    verb = "was" if state == ALARM else "was not"
    return (
        f"Threshold Crossed: {breaching} out of the last {len(datapoints)} datapoints "
        f"[{shown}] {verb} {COMPARISONS[comparison][1]} the threshold ({threshold})."
    )
