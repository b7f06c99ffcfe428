"""Log lines into CloudWatch Logs from inside the account: one lock over moto's Logs backend.

moto's backends are plain Python objects. Lambda's function logs, API Gateway's access logs and
the Logs API requests the dispatcher forwards to moto all write the same groups and streams, so
they take this one lock (DynamoDB item writes get their atomicity from
`counterstack.local.patches.atomic_dynamodb_writes` instead).
"""

from __future__ import annotations

import threading
import time

from moto.backends import get_backend

LOCK = threading.Lock()


def append(account_id: str, region: str, group: str, stream: str, lines: list[str]) -> None:
    """Put lines into `group/stream`, creating the stream; skip a group that does not exist.

    A group the stack did not create is never made here: it would be a resource Terraform does
    not manage, and the leak check would rightly flag it.
    """
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": line} for line in lines]
    with LOCK:
        log_group = get_backend("logs")[account_id][region].groups.get(group)
        if log_group is None:
            return
        if stream not in log_group.streams:
            log_group.create_log_stream(stream)
        log_group.put_log_events(stream, events)
