"""One KMS key per account for the alarms' topics of the stacks the harness applies, and kept.

A new `aws_kms_key` costs ~12 s of the aws provider's propagation waiters on every apply: the
long pole of applying examples/complete. The tests, the cycle benchmark and `counterstack up`
pass this key instead (`alarms_kms_master_key_id`). It is made once with boto3 (no provider
waiters), found by its alias after that, and never deleted by the harness: on AWS it outlives
every stack that uses it (KMS would wait 7 days anyway). Its policy lets the account administer
it and the account's CloudWatch alarms publish with it, as modules/alarms' own key does. It
carries no `counterstack:ephemeral` tag and its alias no test prefix (`ct-`), so no sweep of test
leftovers takes it. A stack given `alarms_kms_master_key_id=None` gets the module's own key.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

ClientFactory = Callable[[str], Any]

ALIAS = "alias/counterstack-shared-alarms"
TAG_KEY, TAG_VALUE = "counterstack:shared-key", "alarms"
VARIABLE = "alarms_kms_master_key_id"  # examples/complete's input for it
# What CloudWatch needs of a topic's key to publish an alarm to it (SNS's encryption docs).
CLOUDWATCH_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"]


def key_policy(account_id: str, partition: str = "aws") -> dict[str, Any]:
    """The account administers and uses the key (`kms:*`, KMS's default key policy); its
    CloudWatch alarms may publish with it (modules/alarms' own key grants the same)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersAndUsesTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": CLOUDWATCH_ACTIONS,
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    }


def shared_alarms_key(client: ClientFactory) -> str:
    """The ARN of the account's shared key: found by its alias, or made (once) if there is none."""
    kms = client("kms")
    found = _usable(kms)
    if found:
        return found
    identity = client("sts").get_caller_identity()
    account_id, partition = identity["Account"], identity["Arn"].split(":")[1]
    key = kms.create_key(
        Description="Encrypts the alarms' topics of counterstack's test and demo stacks; "
        "shared by them and kept (counterstack.harness.shared_key).",
        Policy=json.dumps(key_policy(account_id, partition)),
        Tags=[{"TagKey": TAG_KEY, "TagValue": TAG_VALUE}],
    )["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    try:
        kms.create_alias(AliasName=ALIAS, TargetKeyId=key["KeyId"])
    except kms.exceptions.AlreadyExistsException:
        # Another worker made one meanwhile: use that one, and let this one go.
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
        return _usable(kms) or key["Arn"]
    return key["Arn"]


def _usable(kms: Any) -> str | None:
    """The aliased key's ARN, enabled again if someone disabled it or scheduled its deletion."""
    try:
        key = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        return None
    if key["KeyState"] == "PendingDeletion":
        kms.cancel_key_deletion(KeyId=key["KeyId"])  # leaves it Disabled
    if key["KeyState"] in ("PendingDeletion", "Disabled"):
        kms.enable_key(KeyId=key["KeyId"])
    return key["Arn"]


def declares_variable(root_dir: Path, name: str = VARIABLE) -> bool:
    """Whether the root module has the input (examples/complete does; other roots do not)."""
    pattern = re.compile(rf'^\s*variable\s+"{re.escape(name)}"', re.MULTILINE)
    return any(pattern.search(path.read_text()) for path in Path(root_dir).glob("*.tf"))


def shared_key_input(
    root_dir: Path, client: ClientFactory, given: dict[str, Any]
) -> dict[str, Any]:
    """`{alarms_kms_master_key_id: <shared key>}` for a root that takes it, unless the caller
    chose a key (None included: the module's own)."""
    if VARIABLE in given or not declares_variable(root_dir):
        return {}
    return {VARIABLE: shared_alarms_key(client)}
