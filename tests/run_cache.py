"""Compute something once per test run and share it with every xdist worker.

The first worker to take the lock computes and pickles the result in a folder every worker of the
run sees; the others wait on the lock and read the pickle (tests/modules and tests/security share
their plans this way). Plans cost seconds of CPU each, so a plan that many tests read is made
once per run, not once per worker.
"""

from __future__ import annotations

import fcntl
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def once_per_run(run_root: Path, key: str, make: Callable[[], T]) -> T:
    """`make()` once per run across workers (keyed by `key`); everyone gets the same result."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", key)
    cache = Path(run_root) / "run-cache"
    cache.mkdir(exist_ok=True)
    result_file = cache / f"{safe}.pickle"
    with (cache / f"{safe}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if result_file.exists():
            return pickle.loads(result_file.read_bytes())
        result = make()
        result_file.write_bytes(pickle.dumps(result))
        return result
