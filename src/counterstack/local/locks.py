"""Locks that make moto's in-memory services behave like the real, concurrent ones.

moto's backends are plain Python objects. DynamoDB item writes are made atomic by
`counterstack.local.patches.atomic_dynamodb_writes`; CloudWatch Logs writes from the
runtime and the gateway share this lock with the Logs API requests the dispatcher forwards.
"""

import threading

LOGS = threading.Lock()
