"""Terratest's stage habit: a kept stack survives its run, the next run updates it in place and
destroys it, and the leak check still proves nothing is left.

The local account of this session stands in for the account that outlives two runs; the two
`staged_stack` blocks are the two runs.
"""

import pytest

from counterstack.harness.http import http_get_with_retry
from counterstack.harness.inventory import list_resources
from counterstack.harness.kept_stacks import StackStore, account_of, staged_stack
from counterstack.paths import EXAMPLE_COMPLETE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

KEY = "examples/complete-1"


def count(stack) -> int:
    return http_get_with_retry(stack.url()).json()["count"]


def test_a_kept_stack_is_reused_in_place_then_destroyed(target, provider, name_prefix, tmp_path):
    store = StackStore(tmp_path / "kept")
    account = account_of(target)

    def run(*, keep: bool, reuse: bool):
        return staged_stack(
            EXAMPLE_COMPLETE,
            store=store,
            key=KEY,
            keep=keep,
            reuse=reuse,
            target=target,
            new_prefix=name_prefix,
            new_workdir=lambda prefix: tmp_path / prefix,
            provider=provider,
        )

    prefix = None
    try:
        with run(keep=True, reuse=False) as first:
            prefix = first.prefix
            assert count(first) == 1
        assert list_resources(target.client, f"{prefix}-"), "the kept stack was destroyed"
        assert store.find(KEY, account).prefix == prefix

        with run(keep=False, reuse=True) as second:
            assert second.prefix == prefix
            assert count(second) == 2, "the reused stack is the same table, not a new one"
            assert second.plan_changes() is None
        assert list_resources(target.client, f"{prefix}-") == []
        assert store.find(KEY, account) is None
    finally:
        if prefix and store.find(KEY, account):
            with run(keep=False, reuse=True):  # destroys and leak-checks what a failure left
                pass
