"""What exists in an account under a name prefix: the leak check's and the sweeper's view.

Ephemeral stacks name every resource `<prefix>-...` (log groups `/aws/<service>/<prefix>-...`),
so listing by name finds a run's leftovers even when its Terraform state is lost.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from counterstack.harness import shared_key

ClientFactory = Callable[[str], Any]

# In the order the sweeper deletes them: alarms before the topic they notify, the topic before
# its key (alias), the API before the function it invokes.
KINDS = (
    "cloudwatch alarm", "sns topic", "kms alias", "http api", "lambda function", "log group",
    "iam role", "dynamodb table",
)  # fmt: skip


@dataclass(frozen=True)
class Resource:
    kind: str
    name: str
    id: str
    created: datetime | None
    arn: str = ""  # what the tag calls take (see `mark`); "" where the name or id does

    def __str__(self) -> str:
        return f"{self.kind} {self.name}" + (f" ({self.id})" if self.id != self.name else "")


def list_resources(client: ClientFactory, prefix: str) -> list[Resource]:
    """Every stack resource whose name (or last log-group segment) starts with `prefix`."""
    if not prefix:
        raise ValueError("an empty prefix would match every resource in the account")
    found = [*_apis(client, prefix), *_functions(client, prefix), *_log_groups(client, prefix)]
    found += [*_roles(client, prefix), *_tables(client, prefix)]
    found += [*_alarms(client, prefix), *_topics(client, prefix), *_key_aliases(client, prefix)]
    return found


def _alarms(client: ClientFactory, prefix: str) -> Iterator[Resource]:
    pages = client("cloudwatch").get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix)
    for page in pages:
        for alarm in page["MetricAlarms"] + page.get("CompositeAlarms", []):
            updated = alarm.get("AlarmConfigurationUpdatedTimestamp")
            name, arn = alarm["AlarmName"], alarm["AlarmArn"]
            yield Resource("cloudwatch alarm", name, name, updated, arn)


def _topics(client: ClientFactory, prefix: str) -> Iterator[Resource]:
    for page in client("sns").get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            name = topic["TopicArn"].rsplit(":", 1)[-1]
            if name.startswith(prefix):
                yield Resource("sns topic", name, topic["TopicArn"], None)


def _key_aliases(client: ClientFactory, prefix: str) -> Iterator[Resource]:
    """A key has no name: its alias is found, and a key pending deletion has none left."""
    kms = client("kms")
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page["Aliases"]:
            if alias["AliasName"] == shared_key.ALIAS:  # no stack's: it outlives them all
                continue
            if alias["AliasName"].startswith(f"alias/{prefix}"):
                key_id, created = alias.get("TargetKeyId", ""), alias.get("CreationDate")
                if created is None and key_id:  # moto leaves the alias's own date out
                    created = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CreationDate"]
                yield Resource("kms alias", alias["AliasName"], key_id, created)


def _apis(client: ClientFactory, prefix: str) -> Iterator[Resource]:
    apigw, token = client("apigatewayv2"), None
    region = apigw.meta.region_name
    while True:
        page = apigw.get_apis(**({"NextToken": token} if token else {}))
        for api in page.get("Items", []):
            if api["Name"].startswith(prefix):
                arn = f"arn:{_partition(region)}:apigateway:{region}::/apis/{api['ApiId']}"
                created = api.get("CreatedDate")
                yield Resource("http api", api["Name"], api["ApiId"], created, arn)
        token = page.get("NextToken")
        if not token:
            return


def _functions(client: ClientFactory, prefix: str) -> Iterator[Resource]:
    for page in client("lambda").get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if function["FunctionName"].startswith(prefix):
                created = _parse_lambda_time(function.get("LastModified"))
                name, arn = function["FunctionName"], function["FunctionArn"]
                yield Resource("lambda function", name, name, created, arn)


def _log_groups(client: ClientFactory, prefix: str) -> Iterator[Resource]:
    for page in client("logs").get_paginator("describe_log_groups").paginate():
        for group in page["logGroups"]:
            name = group["logGroupName"]
            if any(segment.startswith(prefix) for segment in name.split("/")):
                created = datetime.fromtimestamp(group["creationTime"] / 1000, UTC)
                arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
                yield Resource("log group", name, name, created, arn)


def _roles(client: ClientFactory, prefix: str) -> Iterator[Resource]:
    for page in client("iam").get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if role["RoleName"].startswith(prefix):
                name, created = role["RoleName"], role["CreateDate"]
                yield Resource("iam role", name, name, created, role["Arn"])


def _tables(client: ClientFactory, prefix: str) -> Iterator[Resource]:
    dynamodb = client("dynamodb")
    for page in dynamodb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            if name.startswith(prefix):
                table = dynamodb.describe_table(TableName=name)["Table"]
                created, arn = table["CreationDateTime"], table["TableArn"]
                yield Resource("dynamodb table", name, name, created, arn)


def _partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if "-gov-" in region else "aws"


LAMBDA_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$")


def _parse_lambda_time(value: str | None) -> datetime | None:
    """Lambda says `2026-11-25T14:00:00.000+0000` (moto: nanoseconds and `Z`); None if neither."""
    match = LAMBDA_TIME.match(value or "")
    if not match:
        return None
    seconds, fraction, zone = match.groups()
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(f"{seconds}.{(fraction or '0')[:6]:0<6}{zone}")
