"""The harness's own promise: a test that fails after apply still leaves nothing behind.

It earns a stack of its own: what it proves is the harness destroying a stack whose test body
failed, which the shared stack (destroyed by its last test) cannot show.
"""

import pytest

from counterstack.harness import shared_key
from counterstack.harness.inventory import list_resources
from counterstack.paths import EXAMPLE_COMPLETE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STACK_KINDS = {
    "http api", "lambda function", "log group", "iam role", "dynamodb table", "cloudwatch alarm",
    "sns topic", "kms alias",
}  # fmt: skip


class Boom(Exception):
    pass


def test_failing_test_still_destroys_everything(stack_factory, target):
    # The module's own key (not the account's shared one): its alias and key go with the stack.
    own_key = {shared_key.VARIABLE: None}
    with pytest.raises(Boom), stack_factory(EXAMPLE_COMPLETE, **own_key) as stack:
        created = stack.resources()
        assert {resource.kind for resource in created} == STACK_KINDS
        raise Boom("the test body failed after apply")
    # stack_factory raised no LeakError, and the account agrees: nothing is left.
    assert list_resources(target.client, f"{stack.prefix}-") == []
