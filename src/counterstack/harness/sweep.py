"""Delete the leftovers of crashed runs, found by the naming convention.

Order matters: alarms before the topic they notify, the topic before its key (the alias goes,
the key is scheduled for deletion: KMS waits at least 7 days), the API (it holds the permission's
source) before the function, then its log groups, its role, and the table last. A table with
deletion protection is never touched: only ephemeral stacks are fair game, and they never enable
it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from counterstack.harness.inventory import KINDS, ClientFactory, Resource, list_resources


@dataclass(frozen=True)
class SweepResult:
    resource: Resource
    outcome: str  # "deleted", "skipped: ...", "failed: ..."


def sweep(
    client: ClientFactory,
    prefix: str,
    older_than: timedelta | None = None,
    dry_run: bool = False,
) -> list[SweepResult]:
    """Delete every resource named with `prefix` (and older than `older_than`, when given)."""
    cutoff = datetime.now(UTC) - older_than if older_than else None
    resources = sorted(list_resources(client, prefix), key=lambda r: KINDS.index(r.kind))
    results = []
    for resource in resources:
        if cutoff and resource.created and resource.created > cutoff:
            results.append(SweepResult(resource, "skipped: newer than --older-than"))
        elif cutoff and resource.created is None:  # SNS keeps no creation time: maybe a live run's
            results.append(
                SweepResult(resource, "skipped: age unknown, sweep without --older-than")
            )
        elif dry_run:
            results.append(SweepResult(resource, "would delete"))
        else:
            results.append(SweepResult(resource, _delete(client, resource)))
    return results


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
            dynamodb = client("dynamodb")
            table = dynamodb.describe_table(TableName=resource.name)["Table"]
            if table.get("DeletionProtectionEnabled"):
                return "skipped: deletion protection is on"
            dynamodb.delete_table(TableName=resource.name)
    except Exception as error:  # report and go on: one stuck resource must not hide the rest
        return f"failed: {type(error).__name__}: {error}"
    return "deleted"


def _delete_role(iam, name: str) -> None:
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    iam.delete_role(RoleName=name)
