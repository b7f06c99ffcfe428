"""The `local_only(reason=...)` marker: tests of the local account itself, skipped on AWS.

A test that checks the emulator against AWS runs on either target; one that checks what only the
local account has (fault rules, worker processes, its CLI) says why, and on `--target aws` it is
skipped with that reason instead of failing or silently testing nothing. A test that asks for a
local-only facility (a fixture such as `local_account`) without the marker is a collection error,
so the nightly AWS selection can never fail at that fixture instead.
"""

from collections.abc import Collection, Iterable
from typing import Any

import pytest

MARKER = "local_only"


def local_only_reason(item: Any) -> str | None:
    """The item's reason when it is marked local_only; a UsageError when it gives none."""
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return None
    reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
    if not reason:
        raise pytest.UsageError(f"{item.nodeid}: local_only needs a reason=")
    return reason


def unmarked_local_use(item: Any, local_fixtures: Collection[str]) -> str | None:
    """Why `item` may not be collected: it uses one of `local_fixtures` without the marker."""
    used = sorted(set(local_fixtures) & set(getattr(item, "fixturenames", ())))
    if not used or item.get_closest_marker(MARKER) is not None:
        return None
    return (
        f"{item.nodeid}: uses the local-only {', '.join(used)}: mark it local_only(reason=...), "
        "or use what runs on both targets (`account`)"
    )


def skip_local_only(items: Iterable[Any], on_aws: bool) -> None:
    """Check every local_only item has a reason; on AWS, skip each with it."""
    for item in items:
        reason = local_only_reason(item)
        if reason is not None and on_aws:
            item.add_marker(pytest.mark.skip(reason=f"local only: {reason}"))
