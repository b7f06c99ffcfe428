"""Patches to moto where its answers differ from AWS's in a way the stack notices.

One module per patch, each with `install()` (idempotent) and the moto function it replaced kept
as the wrapper's `__wrapped__`. Each has a canary test (tests/unit/test_moto_patch_canaries.py)
that checks moto's own code and fails once moto behaves like AWS upstream: then the patch can go.
The patches touch moto's internals, so moto is pinned exactly in pyproject.toml.
"""

from counterstack.local.patches import (
    atomic_dynamodb_writes,
    deployments_api,
    email_subscriptions_pending,
    logging_config,
    stage_tags,
    table_sse,
    unique_statement_ids,
)

PATCHES = (
    atomic_dynamodb_writes,
    deployments_api,
    email_subscriptions_pending,
    logging_config,
    stage_tags,
    table_sse,
    unique_statement_ids,
)


def install() -> None:
    """Apply every patch (idempotent)."""
    for patch in PATCHES:
        patch.install()
