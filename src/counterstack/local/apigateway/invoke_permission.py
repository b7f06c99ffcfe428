"""Does a Lambda function's resource policy let API Gateway invoke it for this request?

API Gateway invokes the function as `apigateway.amazonaws.com` with the request's source ARN
`arn:aws:execute-api:<region>:<account>:<api_id>/<stage>/<METHOD>/<path>`; Lambda allows it only
when a statement of the function's resource policy matches principal, action, resource and
conditions (`AWS:SourceArn` with `ArnLike`, `AWS:SourceAccount`). Without such a statement the
HTTP API answers 500 — the classic symptom of a wrong `source_arn` in `aws_lambda_permission`.
https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html#apigateway-permissions
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

SERVICE_PRINCIPAL = "apigateway.amazonaws.com"
INVOKE_ACTIONS = {"lambda:invokefunction", "lambda:*", "*"}


def source_arn(
    region: str, account_id: str, api_id: str, stage: str, method: str, resource_path: str
) -> str:
    """The execute-api ARN API Gateway presents when it invokes an integration."""
    if resource_path == "$default":
        return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/$default"
    return (
        f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{method}/"
        f"{resource_path.lstrip('/')}"
    )


@lru_cache(maxsize=512)
def _wildcard(pattern: str) -> re.Pattern[str]:
    parts = ("." if char == "?" else ".*" if char == "*" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), re.DOTALL)


def arn_like(pattern: str, arn: str) -> bool:
    """IAM `ArnLike`: the six colon-separated parts are compared one by one with * and ?."""
    want, have = pattern.split(":", 5), arn.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return False
    return all(_wildcard(w).fullmatch(h) for w, h in zip(want, have, strict=True))


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(
            p in (SERVICE_PRINCIPAL, "*") for p in _as_list(principal.get("Service", []))
        ) or "*" in _as_list(principal.get("AWS", []))
    return principal == SERVICE_PRINCIPAL


def _resource_matches(resource: Any, function_arn: str, qualifier: str | None) -> bool:
    targets = {function_arn} if qualifier in (None, "$LATEST") else set()
    if qualifier:
        targets.add(f"{function_arn}:{qualifier}")
    return any(
        any(arn_like(pattern, target) for target in targets) for pattern in _as_list(resource)
    )


def _conditions_hold(conditions: dict, arn: str, account_id: str) -> bool:
    for operator, clauses in conditions.items():
        for key, values in clauses.items():
            key = key.lower()
            if key == "aws:sourcearn" and operator in ("ArnLike", "ArnEquals", "StringLike"):
                match = arn_like if operator != "StringLike" else _string_like
                if not any(match(value, arn) for value in _as_list(values)):
                    return False
            elif key == "aws:sourcearn" and operator == "StringEquals":
                if arn not in _as_list(values):
                    return False
            elif key == "aws:sourceaccount" and operator in ("StringEquals", "StringLike"):
                if not any(_string_like(value, account_id) for value in _as_list(values)):
                    return False
            else:
                return False  # a condition we cannot evaluate never grants access
    return True


def _string_like(pattern: str, value: str) -> bool:
    return bool(_wildcard(pattern).fullmatch(value))


def _statement_applies(
    statement: dict, function_arn: str, qualifier: str | None, arn: str, account_id: str
) -> bool:
    actions = {action.lower() for action in _as_list(statement.get("Action", []))}
    return (
        bool(actions & INVOKE_ACTIONS)
        and _principal_matches(statement.get("Principal"))
        and _resource_matches(statement.get("Resource", function_arn), function_arn, qualifier)
        and _conditions_hold(statement.get("Condition", {}), arn, account_id)
    )


def api_gateway_may_invoke(
    statements: list[dict],
    function_arn: str,
    qualifier: str | None,
    request_source_arn: str,
    account_id: str,
) -> bool:
    """True when an Allow statement matches and no Deny statement does."""
    applying = [
        statement
        for statement in statements
        if _statement_applies(statement, function_arn, qualifier, request_source_arn, account_id)
    ]
    if any(statement.get("Effect") == "Deny" for statement in applying):
        return False
    return any(statement.get("Effect", "Allow") == "Allow" for statement in applying)
