"""Answers moto gives that keep Terraform's waiters polling; fixed to what AWS answers once done."""

import functools
import json

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.policy import Policy

from counterstack.atomic_dynamodb import make_writes_atomic
from counterstack.local import stage_updates, table_sse


class StatementIdExists(LambdaClientError):
    code = 409

    def __init__(self, sid: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement "
            "id, or remove the existing statement.",
        )


def install() -> None:
    """Apply the fixes (idempotent)."""
    make_writes_atomic()
    reject_duplicate_statement_ids()
    stage_updates.install()
    table_sse.install()


def reject_duplicate_statement_ids() -> None:
    """AddPermission with a statement id the policy already has → 409, as Lambda answers.

    moto appends a second statement instead. RemovePermission then deletes only one of them and
    the provider's delete, which polls GetPolicy until the id is gone, waits its full 5 minutes.
    """
    add_statement = Policy.add_statement
    if getattr(add_statement, "__fixed__", False):
        return

    @functools.wraps(add_statement)
    def unique_add_statement(self, raw: str, *args, **kwargs):
        sid = json.loads(raw).get("StatementId")
        if any(statement.get("Sid") == sid for statement in self.statements):
            raise StatementIdExists(sid)
        return add_statement(self, raw, *args, **kwargs)

    unique_add_statement.__fixed__ = True
    Policy.add_statement = unique_add_statement
