"""Helpers of the local-account tests: constants, a probe function, deploy and invoke."""

import io
import json
import os
import resource
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from counterstack.local.client import AccountClient

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
ASSUME_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)

# A function that reports what it saw, and misbehaves on request: the runtime's test subject.
PROBE_SOURCE = """
import json, os, sys, time

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
"""


def zip_source(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@dataclass
class Deployer:
    account: AccountClient
    role_arn: str

    def function(
        self, name: str, code: bytes, handler: str = "probe.handler", **extra: Any
    ) -> dict:
        return self.account.client("lambda").create_function(
            FunctionName=name,
            Runtime=extra.pop("Runtime", "python3.12"),
            Role=extra.pop("Role", self.role_arn),
            Handler=handler,
            Code={"ZipFile": code},
            **extra,
        )

    def http_api(
        self,
        name: str,
        function_arn: str,
        routes: tuple[str, ...] = ("GET /visitors",),
        stage: str = "prod",
        permission_source: str | None = "{execution_arn}/*/*",
        stage_settings: dict | None = None,
        **api: Any,
    ) -> dict:
        """An HTTP API whose routes all proxy to one function; returns ids and the execution ARN."""
        client = self.account.client("apigatewayv2")
        created = client.create_api(Name=name, ProtocolType="HTTP", **api)
        api_id = created["ApiId"]
        integration = client.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=(
                f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
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
            ApiId=api_id, StageName=stage, AutoDeploy=True, **(stage_settings or {})
        )
        execution_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}"
        if permission_source is not None:
            self.account.client("lambda").add_permission(
                FunctionName=function_arn,
                StatementId=f"apigw-{api_id}",
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceArn=permission_source.format(execution_arn=execution_arn),
            )
        return {
            "api_id": api_id,
            "endpoint": created["ApiEndpoint"],
            "execution_arn": execution_arn,
            "url": lambda path="/visitors", s=stage: self.account.execute_api_url(api_id, s, path),
        }


def create_execution_role(account: AccountClient, name: str, statements: list[dict]) -> str:
    """A Lambda execution role whose one inline policy holds `statements`; returns its ARN."""
    iam = account.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=ASSUME_LAMBDA)["Role"]["Arn"]
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
