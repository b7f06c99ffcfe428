"""Locks that make moto's in-memory services behave like the real, concurrent ones.

moto's backends are plain Python objects: two threads running `UpdateItem … ADD` on one item can
interleave their read-modify-write and lose an increment, which DynamoDB never does (single-item
writes are atomic). The dispatcher therefore serializes every DynamoDB request, and log writes
from the runtime share a lock with the Logs API.
"""

import threading

DYNAMODB = threading.Lock()
LOGS = threading.Lock()
