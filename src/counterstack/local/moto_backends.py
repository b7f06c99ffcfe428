"""Look-ups in moto's in-process backends: what was deployed, read per request.

The Lambda service and the gateway never keep a copy of the control plane: every request looks
up the function, the API (its routes, integrations and stages), the function's resource policy
and the account's reserved concurrency here, so whatever Terraform changed a millisecond ago is
what serves the next request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from moto.backends import get_backend

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


def reserved_concurrency_total(
    account_id: str, region: str, except_function: str | None = None
) -> int:
    """Concurrency all functions of an account and region reserve (one function left out)."""
    backend = get_backend("lambda")[account_id][region]
    return sum(
        int(function.reserved_concurrency)
        for function in backend.list_functions()
        if function.reserved_concurrency is not None and function.function_name != except_function
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
