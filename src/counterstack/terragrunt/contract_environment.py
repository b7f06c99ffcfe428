"""Contract checks of an environment's env.hcl: the keys units read, the folder's own name, the
protections a protected environment keeps, and Lambda concurrency the account can grant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from counterstack.terragrunt.hcl import block, literal, load_hcl
from counterstack.terragrunt.problem import Problem
from counterstack.terragrunt.tree import ENV_CONFIG, relative

PROTECTED_ENVIRONMENTS = ("prod",)
REQUIRED_ENV_KEYS = (
    "environment",
    "aws_region",
    "aws_account_id",
    "table_name",
    "function_name",
    "api_name",
    "stage_name",
    "cors_allow_origins",
    "deletion_protection",
)
# AWS keeps an account's unreserved Lambda concurrency at or above min(quota, 100); a new account's
# quota can be 10, so there any reservation at all is refused. env.hcl may declare its account's
# quota (QUOTA_KEY) to reserve concurrency; undeclared, the new-account quota is assumed.
NEW_ACCOUNT_CONCURRENCY_QUOTA = 10
QUOTA_KEY = "lambda_concurrency_quota"
UNRESERVED_CONCURRENCY_MINIMUM = 100


def check_concurrency(env: dict[str, Any], where: str) -> list[Problem]:
    """Reserved concurrency the account accepts, and a stage burst the reservation can serve.

    AWS keeps min(quota, 100) of an account's Lambda concurrency unreserved, so a reservation must
    fit in the rest of the quota env.hcl declares (`lambda_concurrency_quota`); undeclared, it is a
    new account's 10, which has no room at all. The stage burst must fit in a reservation: B
    simultaneous requests need B executions, so a larger burst would be throttled by Lambda (a 5xx
    to the visitor) before the stage answers 429.
    """
    reserved = literal(env.get("reserved_concurrent_executions"))
    if reserved is None or reserved == -1:
        return []
    key = "locals.reserved_concurrent_executions"
    if not isinstance(reserved, int) or reserved < 1:
        return [Problem(where, key, "must be null (no reservation) or a whole number >= 1")]
    quota = literal(env.get(QUOTA_KEY, NEW_ACCOUNT_CONCURRENCY_QUOTA))
    if not isinstance(quota, int) or quota < 1:
        return [Problem(where, f"locals.{QUOTA_KEY}", "must be a whole number >= 1")]
    room = quota - min(quota, UNRESERVED_CONCURRENCY_MINIMUM)
    if reserved > room:
        declared = "declared" if QUOTA_KEY in env else f"a new account's; {QUOTA_KEY} not set"
        return [
            Problem(
                where,
                key,
                f"{reserved} does not fit the account's concurrency quota of {quota} "
                f"({declared}): AWS keeps min(quota, {UNRESERVED_CONCURRENCY_MINIMUM}) "
                f"unreserved, leaving {room}. Set null (the stage throttling caps) or, on an "
                f"account whose quota is >= {reserved + UNRESERVED_CONCURRENCY_MINIMUM}, "
                f"declare {QUOTA_KEY}",
            )
        ]
    burst = literal(env.get("throttling_burst_limit"))
    if not isinstance(burst, int | float) or burst > reserved:
        return [
            Problem(
                where,
                "locals.throttling_burst_limit",
                f"{burst!r} must be a number <= reserved_concurrent_executions ({reserved}): a "
                "larger burst is throttled by Lambda (5xx) before the stage answers 429",
            )
        ]
    return []


def check_environment(env_dir: Path, root: Path) -> tuple[list[Problem], dict[str, Any]]:
    """env.hcl: present, the required keys, the folder's own name, protections where required."""
    where = relative(env_dir / ENV_CONFIG, root)
    if not (env_dir / ENV_CONFIG).is_file():
        return [Problem(relative(env_dir, root), ENV_CONFIG, "environment has no env.hcl")], {}
    try:
        env = block(load_hcl(env_dir / ENV_CONFIG), "locals")
    except Exception as error:
        return [Problem(where, "file", f"cannot parse: {error}")], {}
    env.pop("__is_block__", None)
    problems = [
        Problem(where, f"locals.{key}", "required key is missing")
        for key in REQUIRED_ENV_KEYS
        if key not in env
    ]
    if "environment" in env and literal(env["environment"]) != env_dir.name:
        problems.append(
            Problem(where, "locals.environment", f"must be {env_dir.name!r} (the folder's name)")
        )
    if (
        env_dir.name in PROTECTED_ENVIRONMENTS
        and literal(env.get("deletion_protection")) is not True
    ):
        problems.append(
            Problem(where, "locals.deletion_protection", f"{env_dir.name} must keep it true")
        )
    problems += check_concurrency(env, where)
    return problems, env
