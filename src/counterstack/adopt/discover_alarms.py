"""The alarms unit's rows of an adoption: everything in it is created.

A deployment made before modules/alarms has none of it, and nothing in it needs importing to be
kept: CloudWatch's PutMetricAlarm and SNS's CreateTopic take over an alarm or topic of the same
name (made by hand, say) as they are. Only a key alias of the same name would stop the apply
(KMS refuses a second one): delete it, or give the unit `kms_master_key_id`. Listing no imports
also keeps `adopt --write` idempotent once the unit is applied.
"""

from __future__ import annotations

from typing import Any

from counterstack.adopt.environment import Unit

CREATE = "create"  # the action of counterstack.adopt.discover
ALWAYS = ("lambda-errors", "lambda-throttles", "lambda-duration", "api-5xx")


def find_alarms(adoption: Any, unit: Unit, *_: Any) -> None:
    """Rows for the key and its alias, the topic, each alarm and each e-mail subscription."""
    name = unit.inputs["name"]
    addresses = []
    if unit.inputs.get("kms_master_key_id") is None:
        addresses += ["aws_kms_key.this[0]", "aws_kms_alias.this[0]"]
    addresses.append("aws_sns_topic.this")
    kinds = [*ALWAYS]
    if unit.inputs.get("create_4xx_alarm", False):
        kinds.append("api-4xx")
    if unit.inputs.get("create_latency_alarm", True):
        kinds.append("api-latency")
    addresses += [f'aws_cloudwatch_metric_alarm.this["{kind}"]' for kind in kinds]
    addresses += [
        f'aws_sns_topic_subscription.email["{email}"]'
        for email in unit.inputs.get("alarm_emails") or []
    ]
    for address in addresses:
        adoption.add(unit, address, "", CREATE, f"new with the alarms of {name}")
