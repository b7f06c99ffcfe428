"""The alarms unit's rows of an adoption: what exists already is imported, the rest created.

A deployment made before modules/alarms has none of it, so every row is normally `create`; an
alarm, topic or key alias of the same name (made by hand, say) is imported instead, because
CloudWatch and SNS would silently take it over and KMS would refuse the alias.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from counterstack.adopt.environment import Unit

ClientFactory = Callable[[str], Any]
IMPORT, CREATE = "import", "create"  # the actions of counterstack.adopt.discover
ALWAYS = ("lambda-errors", "lambda-throttles", "lambda-duration", "api-5xx")


def find_alarms(adoption: Any, unit: Unit, client: ClientFactory, *_: Any) -> None:
    """Rows for the key, its alias, the topic, each alarm and each e-mail subscription."""
    name = unit.inputs["name"]
    topic = f"{name}-alarms"
    if unit.inputs.get("kms_master_key_id") is None:
        alias = f"alias/{topic}"
        key_id = _alias_target(client, alias)
        for address, id_ in (("aws_kms_key.this[0]", key_id), ("aws_kms_alias.this[0]", alias)):
            if key_id:
                adoption.add(unit, address, id_, IMPORT, f"key alias {alias} exists")
            else:
                adoption.add(unit, address, "", CREATE, f"no key alias {alias}")
    topic_arn = _topic_arn(client, topic)
    if topic_arn:
        adoption.add(unit, "aws_sns_topic.this", topic_arn, IMPORT, "topic exists")
    else:
        adoption.add(unit, "aws_sns_topic.this", "", CREATE, f"no topic {topic}")
    kinds = [*ALWAYS]
    if unit.inputs.get("create_4xx_alarm", False):
        kinds.append("api-4xx")
    if unit.inputs.get("create_latency_alarm", True):
        kinds.append("api-latency")
    names = [f"{name}-{kind}" for kind in kinds]
    existing = {
        alarm["AlarmName"]
        for alarm in client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    }
    for kind, alarm in zip(kinds, names, strict=True):
        address = f'aws_cloudwatch_metric_alarm.this["{kind}"]'
        if alarm in existing:
            adoption.add(unit, address, alarm, IMPORT, "alarm exists")
        else:
            adoption.add(unit, address, "", CREATE, f"no alarm {alarm}")
    for email in unit.inputs.get("alarm_emails") or []:
        address = f'aws_sns_topic_subscription.email["{email}"]'
        adoption.add(unit, address, "", CREATE, "e-mail subscriptions are confirmed by mail")


def _alias_target(client: ClientFactory, alias: str) -> str:
    try:
        return client("kms").describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NotFoundException":
            return ""
        raise


def _topic_arn(client: ClientFactory, topic: str) -> str:
    for page in client("sns").get_paginator("list_topics").paginate():
        for found in page["Topics"]:
            if found["TopicArn"].rsplit(":", 1)[-1] == topic:
                return found["TopicArn"]
    return ""
