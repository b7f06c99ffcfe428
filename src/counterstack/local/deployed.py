"""Read what was deployed straight from moto's in-process backends.

The runtime and the gateway never keep a copy of the control plane: every request looks up the
function, the API, its routes, integrations, stages and the function's resource policy here, so
whatever Terraform changed a millisecond ago is what serves the next request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from moto.backends import get_backend

from counterstack.local.runtime import FunctionSpec

# arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/<function arn>/invocations
INVOKE_ARN = re.compile(
    r"^arn:[^:]+:apigateway:[^:]+:lambda:path/[^/]+/functions/(?P<fn>.+)/invocations$"
)
FUNCTION_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):lambda:(?P<region>[^:]+):(?P<account>\d{12}):function:"
    r"(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?$"
)


class NotDeployed(LookupError):
    """The function or API asked for does not exist (any more)."""


def lambda_function(name_or_arn: str, qualifier: str | None, region: str, account_id: str) -> Any:
    """moto's LambdaFunction, or NotDeployed."""
    match = FUNCTION_ARN.match(name_or_arn)
    if match:
        region, account_id = match["region"], match["account"]
    try:
        return get_backend("lambda")[account_id][region].get_function(name_or_arn, qualifier)
    except Exception as error:  # moto raises its own client errors
        raise NotDeployed(f"function {name_or_arn} not found in {account_id}/{region}") from error


def function_spec(function: Any) -> FunctionSpec:
    """The execution environment a moto LambdaFunction defines."""
    version = str(function.version)
    base_arn = function.function_arn.split(":function:")[0] + ":function:" + function.function_name
    return FunctionSpec(
        function_arn=base_arn,
        function_name=function.function_name,
        region=function.region,
        version=version,
        handler=function.handler or "",
        runtime=function.run_time or "",
        timeout=float(function.timeout or 3),
        memory_size=int(function.memory_size or 128),
        environment=tuple(sorted((function.environment_vars or {}).items())),
        code_sha256=function.code_sha_256,
        reserved_concurrency=(
            None if function.reserved_concurrency is None else int(function.reserved_concurrency)
        ),
        code=function.code_bytes,
    )


def policy_statements(function: Any) -> list[dict]:
    """The function's resource-based policy statements (empty when it has none)."""
    return list(function.policy.statements) if function.policy else []


@dataclass(frozen=True)
class DeployedApi:
    api: Any  # moto apigatewayv2 Api
    region: str
    account_id: str


def http_api(api_id: str) -> DeployedApi:
    """The HTTP API with this id, in whichever account and region it lives."""
    for account_id, regions in list(get_backend("apigatewayv2").items()):
        for region, backend in list(regions.items()):
            api = backend.apis.get(api_id)
            if api is not None:
                return DeployedApi(api, region, account_id)
    raise NotDeployed(f"API {api_id} not found")


def integration_function(integration_uri: str) -> tuple[str, str | None]:
    """(function ARN or name, qualifier) an AWS_PROXY integration URI points at."""
    match = INVOKE_ARN.match(integration_uri)
    target = match["fn"] if match else integration_uri
    function = FUNCTION_ARN.match(target)
    if function and function["qualifier"]:
        return target.rsplit(":", 1)[0], function["qualifier"]
    return target, None
