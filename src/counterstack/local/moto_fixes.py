"""Answers moto gives that keep Terraform's waiters polling; fixed to what AWS answers once done."""

import functools
import json

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.policy import Policy

from counterstack.atomic_dynamodb import make_writes_atomic


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
    one_statement_per_id()


def one_statement_per_id() -> None:
    """AddPermission with a statement id the policy already has: no second statement.

    moto appends a twin instead; RemovePermission then deletes only one of them and the
    provider's delete, which polls GetPolicy until the id is gone, waits its full 5 minutes.
    A different statement under a taken id gets Lambda's 409. The *same* statement again is
    accepted once more: that is the SDK retrying an AddPermission whose answer it never got
    (seen about once in five local suite runs, cause not found yet). Lambda would answer 409,
    which the provider retries for 5 minutes before failing the apply.
    """
    add_statement = Policy.add_statement
    if getattr(add_statement, "__fixed__", False):
        return

    @functools.wraps(add_statement)
    def add_statement_once(self, raw: str, *args, **kwargs):
        request = json.loads(raw)
        sid = request.get("StatementId")
        taken = next((s for s in self.statements if s.get("Sid") == sid), None)
        if taken is None:
            return add_statement(self, raw, *args, **kwargs)
        request.pop("RevisionId", None)  # the scratch policy below has its own revision
        scratch = Policy(self.parent)
        statement, _ = add_statement(scratch, json.dumps(request), *args, **kwargs)
        if statement != taken:
            raise StatementIdExists(sid)
        return taken, self.revision

    add_statement_once.__fixed__ = True
    Policy.add_statement = add_statement_once
