"""The runner serves the project's local account only; on AWS, the real Terragrunt runs.

A unit touches AWS when its state is in S3 or its working copy uses the aws provider. Then the
endpoint must be the local account: COUNTERSTACK_ENDPOINT (the root's switch), or
AWS_ENDPOINT_URL on a loopback address. Anything else is refused in one line, before anything runs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from counterstack.errors import CounterStackError

ENDPOINT_SWITCH = "COUNTERSTACK_ENDPOINT"
ENDPOINT_URL = "AWS_ENDPOINT_URL"


def _loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_endpoint(env: Mapping[str, str]) -> str | None:
    """The local account's endpoint named in `env`, or None."""
    if env.get(ENDPOINT_SWITCH):
        return env[ENDPOINT_SWITCH]
    if env.get(ENDPOINT_URL) and _loopback(env[ENDPOINT_URL]):
        return env[ENDPOINT_URL]
    return None


def uses_aws(config: Mapping[str, Any], workdir: Path | None) -> bool:
    remote_state = config.get("remote_state") or {}
    if remote_state.get("backend") == "s3":
        return True
    if workdir is None:
        return False
    return any(
        'provider "aws"' in tf.read_text(errors="replace")
        or "hashicorp/aws" in tf.read_text(errors="replace")
        for tf in Path(workdir).glob("*.tf")
    )


def require_local_account(env: Mapping[str, str], unit: Path) -> str:
    """The local endpoint; CounterStackError naming the unit when there is none."""
    endpoint = local_endpoint(env)
    if endpoint is None:
        raise CounterStackError(
            f"{unit}: this Terragrunt runner serves the project's local account only (set "
            f"{ENDPOINT_SWITCH}, or {ENDPOINT_URL} on loopback); on AWS, run the real terragrunt"
        )
    return endpoint
