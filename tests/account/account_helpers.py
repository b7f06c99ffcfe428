"""Helpers of the local-account tests: constants, a probe function, deploy and invoke."""

import contextlib
import io
import json
import os
import resource
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from counterstack.harness.mark import tag_list, tag_map
from counterstack.local.awslambda.runtime import FunctionSpec
from counterstack.local.client import ACCOUNT_ID, AccountClient
from counterstack.seed import LAMBDA_TRUST_POLICY

REGION = "eu-west-1"
# A function that reports what it saw, and misbehaves on request: the runtime's test subject.
PROBE_SOURCE = """
import glob, json, os, sys, time

PREFIXES = ("AWS_", "PROBE_", "_HANDLER", "LAMBDA_")

def handler(event, context):
    event = event if isinstance(event, dict) else {}
    command = event
    if event.get("version") == "2.0":  # through the gateway: the command is the JSON body
        try:
            command = json.loads(event.get("body") or "{}")
        except ValueError:
            command = {}
    action = command.get("action")
    if action == "sleep":
        time.sleep(float(command.get("seconds", 10)))
        if command.get("mark"):  # a file that says the handler got past its sleep
            open(command["mark"], "w").close()
    if action == "wait":  # a rendezvous through files (local workers share the test's disk)
        return wait_for_files(command)
    if action == "raise":
        raise ValueError("probe failed on purpose")
    if action == "exit":
        os._exit(3)
    if action == "print":
        print("hello from the probe")
    if action == "return":
        return command["value"]
    return {
        "pid": os.getpid(),
        "event": event,
        "env": {k: v for k, v in os.environ.items() if k.startswith(PREFIXES)},
        "remaining_ms": context.get_remaining_time_in_millis(),
        "request_id": context.aws_request_id,
        "cwd": os.getcwd(),
    }

def wait_for_files(command):
    \"\"\"Create `here`, then wait until `count` files match `until` (`seconds` at most: a
    bound for the failing case only).\"\"\"
    open(command["here"], "w").close()
    deadline = time.monotonic() + float(command.get("seconds", 50))
    while len(glob.glob(command["until"])) < command.get("count", 1):
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    return {"pid": os.getpid(), "seen": len(glob.glob(command["until"]))}
"""


def zip_source(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


ROLE_PROPAGATION_SECONDS = 30  # IAM: a new role may not be assumable by Lambda at once


@dataclass
class Deployer:
    """Creates what a test needs in the account under test, and deletes it all afterwards."""

    account: AccountClient
    role_arn: str
    created: list[tuple[str, str]] = field(default_factory=list)  # (kind, name or id)

    def function(
        self, name: str, code: bytes, handler: str = "probe.handler", **extra: Any
    ) -> dict:
        client = self.account.client("lambda")
        runtime = extra.pop("Runtime", "python3.12")
        deadline = time.monotonic() + ROLE_PROPAGATION_SECONDS
        while True:
            try:
                created = client.create_function(
                    FunctionName=name,
                    Runtime=runtime,
                    Role=extra.pop("Role", self.role_arn),
                    Handler=handler,
                    Code={"ZipFile": code},
                    Tags=tag_map(name),  # a test run's: the nightly sweep takes it if a run dies
                    **extra,
                )
                break
            except ClientError as error:
                if "cannot be assumed" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(2)
        self.created.append(("function", name))
        client.get_waiter("function_active_v2").wait(FunctionName=name)
        return created

    def table(self, name: str) -> str:
        """A PAY_PER_REQUEST table with partition key `id` (S), as the stack's."""
        client = self.account.client("dynamodb")
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=tag_list(name),
        )
        self.created.append(("table", name))
        client.get_waiter("table_exists").wait(TableName=name)
        return name

    def log_group(self, name: str) -> str:
        """A log group; returns its ARN (what an access-log destination names)."""
        client = self.account.client("logs")
        client.create_log_group(logGroupName=name, tags=tag_map(name))
        self.created.append(("log_group", name))
        found = client.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        return next(group["arn"] for group in found if group["logGroupName"] == name)

    def http_api(
        self,
        name: str,
        function_arn: str,
        routes: tuple[str, ...] = ("GET /visitors",),
        stage: str = "prod",
        permission_source: str | None = "{execution_arn}/*/*",
        stage_settings: dict | None = None,
        auto_deploy: bool = True,
        **api: Any,
    ) -> dict:
        """An HTTP API whose routes all proxy to one function; returns ids and the execution ARN."""
        client = self.account.client("apigatewayv2")
        created = client.create_api(Name=name, ProtocolType="HTTP", Tags=tag_map(name), **api)
        api_id = created["ApiId"]
        self.created.append(("api", api_id))
        integration = client.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=(
                f"arn:aws:apigateway:{self.account.region}:lambda:path/2015-03-31/functions/"
                f"{function_arn}/invocations"
            ),
            PayloadFormatVersion="2.0",
        )
        for route_key in routes:
            client.create_route(
                ApiId=api_id,
                RouteKey=route_key,
                Target=f"integrations/{integration['IntegrationId']}",
            )
        client.create_stage(
            ApiId=api_id, StageName=stage, AutoDeploy=auto_deploy, **(stage_settings or {})
        )
        execution_arn = (
            f"arn:aws:execute-api:{self.account.region}:{self.account.account_id}:{api_id}"
        )
        if permission_source is not None:
            self.account.client("lambda").add_permission(
                FunctionName=function_arn,
                StatementId=f"apigw-{api_id}",
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceArn=permission_source.format(execution_arn=execution_arn),
            )
        url = lambda path="/visitors", s=stage: self.account.execute_api_url(api_id, s, path)  # noqa: E731
        if auto_deploy and self.account.settles:  # wait for the first deployment to serve
            self.account.eventually(
                lambda: requests.get(url(_path_of(routes[0])), timeout=30),
                lambda response: response.status_code != 404,
            )
        return {
            "api_id": api_id,
            "endpoint": created["ApiEndpoint"],
            "execution_arn": execution_arn,
            "url": url,
        }

    def destroy(self) -> None:
        """Delete what was created, newest first; what is already gone is fine."""
        for kind, name in reversed(self.created):
            with contextlib.suppress(ClientError):
                DELETE[kind](self.account, name)

    def leftovers(self) -> list[str]:
        """`kind name` of every created resource that still exists."""
        left = []
        for kind, name in self.created:
            try:
                EXISTS[kind](self.account, name)
            except ClientError as error:
                if error.response["Error"]["Code"] not in NOT_FOUND:
                    raise
            else:
                left.append(f"{kind} {name}")
        return left


NOT_FOUND = ("ResourceNotFoundException", "NotFoundException")
DELETE: dict[str, Callable[[AccountClient, str], Any]] = {
    "function": lambda a, n: a.client("lambda").delete_function(FunctionName=n),
    "api": lambda a, n: a.client("apigatewayv2").delete_api(ApiId=n),
    "table": lambda a, n: a.client("dynamodb").delete_table(TableName=n),
    "log_group": lambda a, n: a.client("logs").delete_log_group(logGroupName=n),
}
EXISTS: dict[str, Callable[[AccountClient, str], Any]] = {
    "function": lambda a, n: a.client("lambda").get_function(FunctionName=n),
    "api": lambda a, n: a.client("apigatewayv2").get_api(ApiId=n),
    "table": lambda a, n: _table_exists(a, n),
    "log_group": lambda a, n: _log_group_exists(a, n),
}


def _table_exists(account: AccountClient, name: str) -> None:
    """Raises ResourceNotFoundException once the table is gone (DELETING counts as gone)."""
    table = account.client("dynamodb").describe_table(TableName=name)["Table"]
    if table["TableStatus"] == "DELETING":
        raise ClientError(
            {"Error": {"Code": "ResourceNotFoundException", "Message": name}}, "DescribeTable"
        )


def _log_group_exists(account: AccountClient, name: str) -> None:
    groups = account.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    if not any(group["logGroupName"] == name for group in groups):
        raise ClientError(
            {"Error": {"Code": "ResourceNotFoundException", "Message": name}}, "DescribeLogGroups"
        )


def _path_of(route_key: str) -> str:
    """A request path a route key answers (`GET /pets/{id}` -> `/pets/id`)."""
    template = route_key.partition(" ")[2] or "/"
    return template.replace("{", "").replace("+}", "").replace("}", "")


def create_execution_role(account: AccountClient, name: str, statements: list[dict]) -> str:
    """A Lambda execution role whose one inline policy holds `statements`; returns its ARN."""
    iam = account.client("iam")
    role = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY, Tags=tag_list(name)
    )
    arn = role["Role"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    return arn


def delete_execution_role(account: AccountClient, name: str) -> None:
    iam = account.client("iam")
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


def invoke(account: AccountClient, function: str, event: Any, **extra: Any) -> tuple[dict, Any]:
    response = account.client("lambda").invoke(
        FunctionName=function, Payload=json.dumps(event).encode(), **extra
    )
    payload = response["Payload"].read()
    return response, json.loads(payload) if payload else None


def wait_for_file(path: Path, seconds: float = 60) -> None:
    """Until a worker creates `path` (an event it signals); the bound is for the failing case,
    where the invocation never started."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


def process_gone(pid: int) -> bool:
    """True when no process `pid` exists (killed and reaped by its parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


FILLER_DESCRIPTORS = 1100  # enough to push the next descriptors past select()'s 1024


@contextmanager
def descriptors_past_select_limit() -> Iterator[None]:
    """Hold 1,100 open descriptors, so those opened next are past what select() can watch."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < FILLER_DESCRIPTORS + 100:
        pytest.skip(f"this process may not open {FILLER_DESCRIPTORS} descriptors (ulimit -n)")
    null = os.open(os.devnull, os.O_RDONLY)
    fillers = [os.dup(null) for _ in range(FILLER_DESCRIPTORS)]
    try:
        yield
    finally:
        for fd in [null, *fillers]:
            os.close(fd)


def probe_spec(name: str) -> FunctionSpec:
    """A probe function as the runtime receives it, for tests that drive `LambdaRuntime` itself."""
    return FunctionSpec(
        function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
        function_name=name,
        region=REGION,
        version="$LATEST",
        handler="probe.handler",
        runtime="python3.12",
        timeout=10.0,
        memory_size=128,
        environment=(),
        code_sha256=name,
        reserved_concurrency=None,
        code=zip_source({"probe.py": PROBE_SOURCE}),
    )
