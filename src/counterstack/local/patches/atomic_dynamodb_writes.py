"""Give moto's DynamoDB the write atomicity of the real service.

DynamoDB applies each UpdateItem atomically and returns the values *it* wrote, so concurrent
`ADD count 1` calls never lose an increment and never hand out the same count twice. moto does
neither under threads (in-process mocks, or the threaded local account): its backend reads,
modifies and writes Python objects without a lock, and its response handler serializes the
*live* item after the write, so a second writer slipping in between makes two responses report
the same new count. One lock around each item-writing request, from the backend write to the
serialized answer, restores the guarantee the visitor counter relies on.
"""

import functools
import threading

from moto.dynamodb.responses import DynamoHandler

WRITE_ACTIONS = (
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "transact_write_items",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
)
_LOCK = threading.RLock()


def install() -> None:
    """Serialize moto's DynamoDB write requests (idempotent: wraps each action once)."""
    for name in WRITE_ACTIONS:
        action = getattr(DynamoHandler, name)
        if getattr(action, "__atomic__", False):
            continue

        @functools.wraps(action)
        def atomic(self, *args, __action=action, **kwargs):
            with _LOCK:
                return __action(self, *args, **kwargs)

        atomic.__atomic__ = True
        setattr(DynamoHandler, name, atomic)
