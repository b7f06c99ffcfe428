"""Where the account applies IAM: a call signed with a role session's key, before moto serves it.

A request signed with a session key the account issued (`role_sessions`) is checked against the
role's policies (`policy_evaluation`): they must allow the action on the resource, or the call is
refused with AWS's AccessDeniedException and its message. Every other key (Terraform's and the
tests' `test`) keeps admin rights.

Actions and resources are derived for the protocols the stack's functions use: JSON (`X-Amz-Target`,
DynamoDB with table ARNs, CloudWatch Logs with log-group/stream ARNs), query (`Action=`, STS/IAM)
and Lambda's Invoke. A request of another shape is refused with a message saying so: locally
stricter than AWS, never kinder.
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

from counterstack.local.awslambda.invoke import INVOKE_PATH
from counterstack.local.iam.policy_evaluation import evaluate
from counterstack.local.iam.role_sessions import find_session
from counterstack.local.transport.wsgi import credential_scope, read_body

ALWAYS_ALLOWED = {"sts:getcalleridentity"}  # needs no permission on AWS
# Signing name -> IAM service prefix, where they differ.
IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}
JSON_ERROR_TYPES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
}


def check(environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes] | None:
    """AWS's denial for a role session's request its policies do not allow; None to serve it."""
    scope = credential_scope(environ)
    if scope is None or not scope.key.startswith("ASIA"):
        return None
    session = find_session(scope.key)
    if session is None:
        return None  # not a session this account issued: moto answers as it does
    service, region = scope.service, scope.region
    body = read_body(environ)
    request = _action_and_resources(service, region, session.account_id, environ, body)
    if request is None:
        return _denied(
            service,
            f"User: {session.arn} is not authorized to perform this request: the local account "
            f"cannot tell which IAM action a {environ.get('REQUEST_METHOD')} "
            f"{environ.get('PATH_INFO')} to {service} needs, so it refuses it (AWS would check it)",
        )
    action, resources = request
    if action.lower() in ALWAYS_ALLOWED:
        return None
    for resource in resources:
        verdict = evaluate(session.role_arn, action, resource)
        if verdict != "allow":
            reason = (
                "with an explicit deny in an identity-based policy"
                if verdict == "deny"
                else f"because no identity-based policy allows the {action} action"
            )
            return _denied(
                service,
                f"User: {session.arn} is not authorized to perform: {action} on resource: "
                f"{resource} {reason}",
            )
    return None


def _action_and_resources(
    service: str, region: str, account_id: str, environ: dict[str, Any], body: bytes
) -> tuple[str, list[str]] | None:
    """(IAM action, resource ARNs it is checked on) of a request, or None if unknown."""
    prefix = IAM_PREFIX.get(service, service)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target and "." in target:
        operation = target.rsplit(".", 1)[1]
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return f"{prefix}:{operation}", _json_resources(prefix, region, account_id, params)
    form = parse_qs(environ.get("QUERY_STRING", "")) | parse_qs(body.decode("utf-8", "replace"))
    if "Action" in form:
        action = f"{prefix}:{form['Action'][0]}"
        role = form.get("RoleArn", ["*"])[0] if action.lower() == "sts:assumerole" else "*"
        return action, [role]
    invoke = INVOKE_PATH.match(environ.get("PATH_INFO", ""))
    if service == "lambda" and environ.get("REQUEST_METHOD") == "POST" and invoke:
        name = unquote(invoke["function"])
        arn = (
            name
            if name.startswith("arn:")
            else (f"arn:aws:lambda:{region}:{account_id}:function:{name}")
        )
        return "lambda:InvokeFunction", [arn]
    return None


def _json_resources(prefix: str, region: str, account_id: str, params: dict) -> list[str]:
    if prefix == "dynamodb":
        tables = [params["TableName"]] if "TableName" in params else []
        tables += list(params.get("RequestItems", {}))
        for item in params.get("TransactItems", []):
            tables += [op["TableName"] for op in item.values() if "TableName" in op]
        base = f"arn:aws:dynamodb:{region}:{account_id}:table/"
        return [table if table.startswith("arn:") else base + table for table in tables] or ["*"]
    if prefix == "logs" and "logGroupName" in params:
        group = f"arn:aws:logs:{region}:{account_id}:log-group:{params['logGroupName']}"
        if "logStreamName" in params:
            return [f"{group}:log-stream:{params['logStreamName']}"]
        return [group]
    return ["*"]


def _denied(service: str, message: str) -> tuple[int, dict[str, str], bytes]:
    """AccessDeniedException in the protocol of the service that refused."""
    if service in ("sts", "iam"):
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
            f"<Message>{escape(message)}</Message></Error></ErrorResponse>"
        ).encode()
        return 403, {"content-type": "text/xml"}, body
    if service == "lambda":
        body = json.dumps({"Type": "User", "Message": message}).encode()
        headers = {"content-type": "application/json", "x-amzn-errortype": "AccessDeniedException"}
        return 403, headers, body
    error_type = JSON_ERROR_TYPES.get(service, "AccessDeniedException")
    body = json.dumps({"__type": error_type, "message": message}).encode()
    return 400, {"content-type": "application/x-amz-json-1.0"}, body
