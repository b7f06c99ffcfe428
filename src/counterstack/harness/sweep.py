"""Delete the leftovers of crashed runs: named with the prefix AND marked as a test run's.

A name alone proves nothing: the seed's own stack (`visitor-counter`, `visitorCounter`, made by
hand, with a count people care about) matches `visitor`, and a prod table made in the console
has no deletion protection. So a resource is deleted only when it carries the mark
(`mark.EPHEMERAL_TAG`, on itself or, for a KMS alias, on its key); one without it is listed as
left alone. A table with deletion protection is never touched either.

Order matters: alarms before the topic they notify, the topic before its key (the alias goes,
the key is scheduled for deletion: KMS waits at least 7 days), the API (it holds the permission's
source) before the function, then its log groups, its role, and the table last.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from counterstack.errors import CounterStackError
from counterstack.harness.inventory import KINDS, ClientFactory, Resource, list_resources
from counterstack.harness.mark import EPHEMERAL_TAG, mark_of
from counterstack.harness.naming import EPHEMERAL_PREFIX

WOULD_DELETE = "would delete"
NOT_MARKED = "left alone: not made by a test run"
# Runs before the mark was put on everything (boto3-built test stacks, older harnesses) left
# unmarked objects under the tests' names: still left alone, with how to remove them by hand.
UNMARKED_RUN_NAME = "left alone: no mark, named like a test run's"
BY_HAND = (
    f"unmarked leftovers of old runs: check each is one, then delete it by hand (console or aws "
    f"CLI), or tag it {EPHEMERAL_TAG}=<its prefix> (a KMS alias: tag its key) and sweep again"
)


@dataclass(frozen=True)
class SweepResult:
    resource: Resource
    outcome: str  # "deleted", "would delete", "left alone: ...", "skipped: ...", "failed: ..."


def require_account(client: ClientFactory, account_id: str) -> None:
    """Refuse, before anything is listed, when the credentials are not for `account_id`."""
    actual = client("sts").get_caller_identity()["Account"]
    if actual != account_id:
        raise CounterStackError(
            f"refusing to sweep: the credentials are for account {actual}, not --account-id "
            f"{account_id}"
        )


def plan(
    client: ClientFactory, prefix: str, older_than: timedelta | None = None
) -> list[SweepResult]:
    """What a sweep would do with each resource named with `prefix`; deletes nothing."""
    cutoff = datetime.now(UTC) - older_than if older_than else None
    resources = sorted(list_resources(client, prefix), key=lambda r: KINDS.index(r.kind))
    return [SweepResult(r, _outcome(client, r, cutoff)) for r in resources]


def _outcome(client: ClientFactory, resource: Resource, cutoff: datetime | None) -> str:
    try:
        marked = mark_of(client, resource) is not None
    except Exception as error:  # gone meanwhile, or unreadable: never deleted unseen
        return f"left alone: its mark could not be read ({type(error).__name__})"
    if not marked:
        named_like_a_run = any(
            part.startswith(EPHEMERAL_PREFIX) for part in resource.name.split("/")
        )
        return UNMARKED_RUN_NAME if named_like_a_run else NOT_MARKED
    if resource.kind == "dynamodb table" and _protected(client, resource.name):
        return "skipped: deletion protection is on"
    if cutoff and resource.created and resource.created > cutoff:
        return "skipped: newer than --older-than"
    if cutoff and resource.created is None:  # SNS keeps no creation time: maybe a live run's
        return "skipped: age unknown, sweep without --older-than"
    return WOULD_DELETE


def delete(client: ClientFactory, planned: list[SweepResult]) -> list[SweepResult]:
    """Delete what `plan` marked "would delete", in its order; the rest stays as planned."""
    return [
        replace(result, outcome=_delete(client, result.resource))
        if result.outcome == WOULD_DELETE
        else result
        for result in planned
    ]


def sweep(
    client: ClientFactory,
    prefix: str,
    older_than: timedelta | None = None,
    dry_run: bool = False,
) -> list[SweepResult]:
    """Delete every marked resource named with `prefix` (and older than `older_than`, if given)."""
    planned = plan(client, prefix, older_than)
    return planned if dry_run else delete(client, planned)


def _protected(client: ClientFactory, table: str) -> bool:
    described = client("dynamodb").describe_table(TableName=table)["Table"]
    return bool(described.get("DeletionProtectionEnabled"))


def _delete(client: ClientFactory, resource: Resource) -> str:
    try:
        if resource.kind == "cloudwatch alarm":
            client("cloudwatch").delete_alarms(AlarmNames=[resource.name])
        elif resource.kind == "sns topic":
            client("sns").delete_topic(TopicArn=resource.id)
        elif resource.kind == "kms alias":
            kms = client("kms")
            kms.delete_alias(AliasName=resource.name)
            if resource.id:
                kms.schedule_key_deletion(KeyId=resource.id, PendingWindowInDays=7)
        elif resource.kind == "http api":
            client("apigatewayv2").delete_api(ApiId=resource.id)
        elif resource.kind == "lambda function":
            client("lambda").delete_function(FunctionName=resource.name)
        elif resource.kind == "log group":
            client("logs").delete_log_group(logGroupName=resource.name)
        elif resource.kind == "iam role":
            _delete_role(client("iam"), resource.name)
        elif resource.kind == "dynamodb table":
            if _protected(client, resource.name):  # switched on since the plan
                return "skipped: deletion protection is on"
            client("dynamodb").delete_table(TableName=resource.name)
    except Exception as error:  # report and go on: one stuck resource must not hide the rest
        return f"failed: {type(error).__name__}: {error}"
    return "deleted"


def _delete_role(iam, name: str) -> None:
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    iam.delete_role(RoleName=name)
