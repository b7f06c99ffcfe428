"""Sessions of execution roles, as Lambda gives them to a function, and finding one by its key.

The runtime runs each function with a session of its execution role (AssumeRole against the
account: moto STS hands out `ASIA…` keys); a request signed with such a key is the role's.
"""

from __future__ import annotations

from typing import Any

from moto.sts.models import sts_backends

SESSION_SECONDS = 43200  # workers outlive moto's default hour; moto never expires keys anyway


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


def find_session(access_key: str) -> Any:
    """The assumed-role session a key belongs to, or None if this account did not issue it."""
    for account_backends in list(sts_backends.values()):
        backend = account_backends.get("aws") if hasattr(account_backends, "get") else None
        if backend is None:
            continue
        session = backend.get_assumed_role_from_access_key(access_key)
        if session is not None:
            return session
    return None
