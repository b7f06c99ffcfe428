"""Unique, AWS-safe name prefixes for ephemeral stacks.

Every resource of an ephemeral stack is named `<prefix>-...`, so the leak check finds a run's
resources by name alone; the sweeper also asks for the run's mark (`mark.py`), since a name
alone cannot tell a run's stack from one made by hand. A prefix carries the run id (shared by all
xdist workers of one pytest run) and the worker id, so parallel workers and parallel runs never
collide.
"""

import itertools
import re
import uuid

EPHEMERAL_PREFIX = "ct-"
# examples/complete derives names up to ~28 characters longer than the prefix; Lambda and IAM
# role names stop at 64, so 32 leaves room for every derived name.
MAX_PREFIX_LENGTH = 32
PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")

_counter = itertools.count(1)


def new_run_id() -> str:
    return uuid.uuid4().hex[:6]


def unique_prefix(run_id: str, worker: str = "main") -> str:
    """`ct-<run>-<worker>-<n>`: distinct for every stack of every worker of every run."""
    worker = re.sub(r"[^a-z0-9]", "", worker.lower()) or "main"
    prefix = f"{EPHEMERAL_PREFIX}{run_id[:6].lower()}-{worker}-{next(_counter)}"
    validate_prefix(prefix)
    return prefix


def validate_prefix(prefix: str) -> str:
    """Raise ValueError unless the prefix can start every resource name of the stack."""
    if not PREFIX_PATTERN.match(prefix) or len(prefix) > MAX_PREFIX_LENGTH:
        raise ValueError(
            f"name prefix {prefix!r} must be lowercase letters, digits and hyphens, start with a "
            f"letter and be at most {MAX_PREFIX_LENGTH} characters"
        )
    return prefix
