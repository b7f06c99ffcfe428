"""IAM for role sessions: a function's SDK calls are allowed only by its execution role's policies.

The runtime runs each function with a session of its execution role (AssumeRole against the
account: moto STS hands out `ASIA…` keys). A request signed with such a key is checked here
before moto serves it: the role's inline and attached managed policies must allow the action on
the resource (explicit Deny wins), or the call is refused with AWS's AccessDeniedException and
its message. Every other key (Terraform's and the tests' `test`) keeps admin rights.

Actions and resources are derived for the protocols the stack's functions use: JSON (`X-Amz-Target`,
DynamoDB with table ARNs, CloudWatch Logs with log-group/stream ARNs), query (`Action=`, STS/IAM)
and Lambda's Invoke. A request of another shape is refused with a message saying so: locally
stricter than AWS, never kinder.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

CREDENTIAL = re.compile(
    r"Credential=(?P<key>[^/]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request"
)
INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations/?$")
SESSION_SECONDS = 43200  # workers outlive moto's default hour; moto never expires keys anyway
ALWAYS_ALLOWED = {"sts:getcalleridentity"}  # needs no permission on AWS
# Signing name -> IAM service prefix, where they differ.
IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}
JSON_ERROR_TYPES = {
    "dynamodb": "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
}


def role_credentials(role_arn: str, session_name: str, region: str) -> dict[str, str]:
    """A fresh session of `role_arn` as Lambda gives it to a function (session = function name)."""
    account_id = role_arn.split(":")[4]
    session = sts_backends[account_id]["aws"].assume_role(
        region_name=region,
        role_session_name=session_name[:64],
        role_arn=role_arn,
        policy="",
        duration=SESSION_SECONDS,
        external_id="",
    )
    return {
        "AWS_ACCESS_KEY_ID": session.access_key_id,
        "AWS_SECRET_ACCESS_KEY": session.secret_access_key,
        "AWS_SESSION_TOKEN": session.session_token,
    }


def check(environ: dict[str, Any], body: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """AWS's denial for a role session's request its policies do not allow; None to serve it."""
    match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match is None or not match["key"].startswith("ASIA"):
        return None
    session = _session(match["key"])
    if session is None:
        return None  # not a session this account issued: moto answers as it does
    service, region = match["service"], match["region"]
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


def allows(role_arn: str, action: str, resource: str) -> bool:
    """Whether the role's policies allow `action` on `resource` (for calls the runtime makes)."""
    return evaluate(role_arn, action, resource) == "allow"


def evaluate(role_arn: str, action: str, resource: str) -> str:
    """ "allow", "deny" (explicit) or "implicit" (no statement allows), IAM's evaluation order."""
    verdict = "implicit"
    for statement in _statements(role_arn):
        if "Condition" in statement:
            continue  # conditions are not evaluated locally: such a statement never applies
        if not _matches(statement, "Action", action, case_sensitive=False):
            continue
        if not _matches(statement, "Resource", resource, case_sensitive=True):
            continue
        if statement.get("Effect") == "Deny":
            return "deny"
        if statement.get("Effect") == "Allow":
            verdict = "allow"
    return verdict


def _session(access_key: str) -> Any:
    for account_backends in list(sts_backends.values()):
        backend = account_backends.get("aws") if hasattr(account_backends, "get") else None
        if backend is None:
            continue
        session = backend.get_assumed_role_from_access_key(access_key)
        if session is not None:
            return session
    return None


def _statements(role_arn: str) -> list[dict]:
    """Statements of the role's inline and attached managed policies (none if it is gone)."""
    account_id = role_arn.split(":")[4]
    try:
        role = iam_backends[account_id]["aws"].get_role_by_arn(role_arn)
    except Exception:  # moto's NotFound: a deleted role allows nothing
        return []
    documents = list(role.policies.values())
    for policy in list(role.managed_policies.values()):
        documents += [version.document for version in policy.versions if version.is_default]
    statements: list[dict] = []
    for document in documents:
        parsed = json.loads(unquote(document)) if isinstance(document, str) else document
        found = parsed.get("Statement", [])
        statements += found if isinstance(found, list) else [found]
    return statements


def _matches(statement: dict, key: str, value: str, case_sensitive: bool) -> bool:
    if key in statement:
        return any(
            _glob(pattern, case_sensitive).fullmatch(value) for pattern in _list(statement[key])
        )
    negated = "Not" + key
    if negated in statement:
        return not any(
            _glob(pattern, case_sensitive).fullmatch(value) for pattern in _list(statement[negated])
        )
    return False


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


@lru_cache(maxsize=1024)
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    parts = ("." if char == "?" else ".*" if char == "*" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE)


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
