"""A Lambda permission's statement id is unique: a repeated AddPermission answers 409, as on AWS.

moto appends a second statement under the same id instead. RemovePermission then deletes only
one of them, and the provider's delete, which polls GetPolicy until the id is gone, waits its
full 5 minutes.
"""

import functools
import json

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.policy import Policy


class StatementIdExists(LambdaClientError):
    code = 409

    def __init__(self, sid: str) -> None:
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement "
            "id, or remove the existing statement.",
        )


def install() -> None:
    """AddPermission with a statement id the policy already has → 409 (idempotent)."""
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
