"""The default AWS credential chain, checked before anything relies on it.

A command that works on a real account asks STS who it is first, so missing or broken credentials
fail in one line that says what to set, not deep inside the first real call.
"""

from __future__ import annotations

import boto3

from counterstack.errors import CounterStackError

DEFAULT_REGION = "eu-west-1"


def checked_region(region: str | None = None) -> str:
    """The region to use with the default chain (given, the chain's, else DEFAULT_REGION), once
    STS has answered with an account: fails early without credentials."""
    session = boto3.Session()
    region = region or session.region_name or DEFAULT_REGION
    try:
        identity = session.client("sts", region_name=region).get_caller_identity()
    except Exception as error:
        raise CounterStackError(
            f"--target aws needs AWS credentials from the default chain ({error}); "
            "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --target local"
        ) from error
    if not identity.get("Account"):
        raise CounterStackError("STS answered no account id: check the credentials")
    return region
