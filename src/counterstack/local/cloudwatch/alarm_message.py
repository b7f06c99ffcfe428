"""The notification a metric alarm's state change sends to its SNS actions, as CloudWatch sends it.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-sns-notifications.html
(format): a JSON message naming the alarm, its old and new state and why, and the `Trigger` (the
metric and the rule); the subject `ALARM: "<name>" in <region's name>`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from moto.backends import get_backend

from counterstack.local.cloudwatch import topic_key

SUBJECT_LIMIT = 100  # SNS refuses longer subjects; CloudWatch cuts them
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-north-1": "EU (Stockholm)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
}


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def message(alarm: Any, account_id: str, old_state: str) -> dict[str, Any]:
    """The message body for moto's `alarm` after it changed from `old_state`."""
    trigger: dict[str, Any] = {
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
        "Unit": alarm.unit,
        "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
        "Period": int(alarm.period),
        "EvaluationPeriods": int(alarm.evaluation_periods),
        "DatapointsToAlarm": int(alarm.datapoints_to_alarm or alarm.evaluation_periods),
        "ComparisonOperator": alarm.comparison_operator,
        "Threshold": float(alarm.threshold),
        "TreatMissingData": alarm.treat_missing_data or "missing",
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
    }
    if alarm.extended_statistic:
        trigger["ExtendedStatistic"] = alarm.extended_statistic
    else:
        trigger["Statistic"] = (alarm.statistic or "").upper()
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description or None,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": _timestamp(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _timestamp(alarm.state_updated_timestamp),
        "Region": REGION_NAMES.get(alarm.region_name, alarm.region_name),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": trigger,
    }


def subject(alarm: Any) -> str:
    region = REGION_NAMES.get(alarm.region_name, alarm.region_name)
    return f'{alarm.state_value}: "{alarm.name}" in {region}'[:SUBJECT_LIMIT]


def actions_for(alarm: Any) -> list[str]:
    """The actions of the alarm's new state (none while its actions are disabled)."""
    if not alarm.actions_enabled:
        return []
    return list(
        {
            "ALARM": alarm.alarm_actions,
            "OK": alarm.ok_actions,
            "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
        }[alarm.state_value]
    )


def notify(alarm: Any, account_id: str, old_state: str) -> list[str]:
    """Publish the message to each SNS action of the new state; the topics it reached."""
    body = json.dumps(message(alarm, account_id, old_state))
    reached = []
    for action in actions_for(alarm):
        parts = action.split(":")
        if len(parts) < 6 or parts[2] != "sns":
            continue  # Auto Scaling, EC2 and Systems Manager actions are not modelled
        sns = get_backend("sns")[parts[4]][parts[3]]
        topic = sns.topics.get(action)
        if topic is None:
            continue  # CloudWatch records a failed action; nothing is delivered
        key = topic.kms_master_key_id
        if key and not topic_key.cloudwatch_may_use(key, action, alarm.alarm_arn):
            continue  # the same: SNS cannot encrypt the message with a key CloudWatch may not use
        sns.publish(body, arn=action, subject=subject(alarm))
        reached.append(action)
    return reached
