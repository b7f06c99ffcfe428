"""May CloudWatch publish an alarm to an encrypted topic? Only if the topic's key lets it.

On AWS, an alarm's notification to a topic whose KMS key CloudWatch may not use never arrives
(the action fails): the AWS managed `alias/aws/sns`, a key without a statement for
`cloudwatch.amazonaws.com`, a disabled or missing key. moto's SNS stores a topic's key and
ignores it, so the alarm clock asks here before it publishes.
https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services

The key policy is read as KMS reads it for a service principal: an explicit Deny wins, then an
Allow naming the service (or `*`) for the action; wildcards in actions and resources. Conditions
on `aws:SourceAccount` and `aws:SourceArn` are evaluated (String*/Arn* operators); a statement
with any other condition never allows, and always denies: stricter than AWS, never kinder.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

from moto.backends import get_backend

SERVICE = "cloudwatch.amazonaws.com"
# What SNS asks of the key when CloudWatch publishes to an encrypted topic.
NEEDED_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
OPERATORS = {
    "StringEquals": lambda value, pattern: value == pattern,
    "StringLike": fnmatchcase,
    "ArnEquals": lambda value, pattern: value == pattern,
    "ArnLike": fnmatchcase,
}


def cloudwatch_may_use(key_id: str, topic_arn: str, alarm_arn: str) -> bool:
    """Whether CloudWatch, publishing `alarm_arn`, may use the key `key_id` of the topic."""
    region, account_id = topic_arn.split(":")[3:5]
    key = _key(key_id, account_id, region)
    if key is None or key.key_state != "Enabled":
        return False
    try:
        statements = _list(json.loads(key.policy).get("Statement", []))
    except (ValueError, AttributeError):
        return False
    context = {
        "aws:sourceaccount": alarm_arn.split(":")[4],
        "aws:sourcearn": alarm_arn,
    }
    return all(_allowed(statements, action, key.arn, context) for action in NEEDED_ACTIONS)


def _key(key_id: str, account_id: str, region: str) -> Any:
    """moto's key for an id, key ARN, alias or alias ARN (an ARN names its own region); None if
    there is no such key."""
    if key_id.startswith("arn:"):
        region, account_id = key_id.split(":")[3:5]
    try:
        return get_backend("kms")[account_id][region].describe_key(key_id)
    except Exception:  # moto's NotFoundException, or a KeyError for an unknown id
        return None


def _allowed(statements: list[dict], action: str, key_arn: str, context: dict[str, str]) -> bool:
    verdict = False
    for statement in statements:
        if not (_names_service(statement) and _matches(statement, "Action", action, key_arn)):
            continue
        met = _conditions_met(statement.get("Condition", {}), context)
        if statement.get("Effect") == "Deny" and met is not False:
            return False
        if statement.get("Effect") == "Allow" and met is True:
            verdict = True
    return verdict


def _names_service(statement: dict) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return SERVICE in _list(principal.get("Service", [])) or "*" in _list(principal.get("AWS", []))


def _matches(statement: dict, key: str, action: str, key_arn: str) -> bool:
    """The statement's Action (or NotAction) covers `action` and its Resource this key."""
    if key in statement:
        covered = any(fnmatchcase(action.lower(), p.lower()) for p in _list(statement[key]))
    else:
        covered = not any(
            fnmatchcase(action.lower(), p.lower()) for p in _list(statement.get("Not" + key, []))
        )
    return covered and any(fnmatchcase(key_arn, r) for r in _list(statement.get("Resource", "*")))


def _conditions_met(conditions: dict, context: dict[str, str]) -> bool | None:
    """True or False when every condition could be evaluated; None when one could not."""
    for operator, entries in conditions.items():
        test = OPERATORS.get(operator)
        for name, patterns in entries.items():
            value = context.get(name.lower())
            if test is None or value is None:
                return None
            if not any(test(value, pattern) for pattern in _list(patterns)):
                return False
    return True


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]
