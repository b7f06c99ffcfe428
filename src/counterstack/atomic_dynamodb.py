"""Give moto's DynamoDB the write atomicity of the real service.

DynamoDB applies each UpdateItem atomically, so concurrent `ADD count 1` calls never lose an
increment. moto's backend reads, modifies and writes Python objects without a lock, so two
threads (in-process mocks, or the threaded local account) can lose updates. One lock around the
item-writing methods restores the real service's guarantee that the visitor counter relies on.
"""

import functools
import threading

from moto.dynamodb.models import DynamoDBBackend

WRITE_METHODS = ("put_item", "update_item", "delete_item", "transact_write_items")
_LOCK = threading.RLock()


def make_writes_atomic() -> None:
    """Serialize moto's DynamoDB item writes (idempotent: wraps each method once)."""
    for name in WRITE_METHODS:
        method = getattr(DynamoDBBackend, name)
        if getattr(method, "__atomic__", False):
            continue

        @functools.wraps(method)
        def atomic(self, *args, __method=method, **kwargs):
            with _LOCK:
                return __method(self, *args, **kwargs)

        atomic.__atomic__ = True
        setattr(DynamoDBBackend, name, atomic)
