"""Does a role's identity policy allow an action on a resource? IAM's evaluation order.

Inline and attached managed policies of the role are read from moto's IAM backend on every call,
so a policy change applies at once. An explicit Deny wins, then any Allow, else the implicit deny;
`NotAction`/`NotResource` are supported; statements with a `Condition` are skipped (not evaluated
locally, so such a statement never applies: a listed local difference).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from moto.iam.models import iam_backends


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
