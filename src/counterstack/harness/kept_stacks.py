"""Kept stacks: Terratest's stage habit, for iterating on one stack across test runs.

`--keep-stack` leaves a run's stacks applied and records, per stack, the folder that holds its
copied root and its state. `--reuse-stack` takes that folder up in the next run: the current code
is copied over it and applied as an update of the same stack (same names, same data), which is
the fast loop when changing the Lambda or a module. A reused stack that is not kept again is
destroyed and leak-checked like any other; its record goes only once that has succeeded, so a
failed destroy can be retried with `--reuse-stack`.

A record remembers the account the stack lives in: reusing it against another one is refused,
since Terraform would plan a whole new stack over a state that names resources it cannot find.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from counterstack.errors import CounterStackError
from counterstack.harness.stack import Stack, ephemeral_stack
from counterstack.harness.target import Target
from counterstack.paths import REPO_ROOT
from counterstack.terraform_cli import ENDPOINT_ENV

DEFAULT_FOLDER = REPO_ROOT / ".cache" / "kept-stacks"
RECORD_FILE = "kept-stack.json"


@dataclass(frozen=True)
class KeptStack:
    key: str  # which stack of a run: its root and its rank among that root's stacks
    prefix: str
    workdir: Path
    account: str  # where it lives: "aws <region>" or the endpoint's URL and region

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "workdir": str(self.workdir)}, indent=2)


class StackStore:
    """Records of kept stacks, one folder each under `folder` (the stack's working copy too)."""

    def __init__(self, folder: Path = DEFAULT_FOLDER) -> None:
        self.folder = Path(folder)

    def workdir(self, key: str) -> Path:
        return self.folder / re.sub(r"[^A-Za-z0-9_.-]", "_", key)

    def find(self, key: str, account: str) -> KeptStack | None:
        """The stack kept under `key`, if any; an error when it lives in another account."""
        record = self.workdir(key) / RECORD_FILE
        if not record.is_file():
            return None
        data = json.loads(record.read_text())
        kept = KeptStack(**{**data, "workdir": Path(data["workdir"])})
        if kept.account != account:
            raise CounterStackError(
                f"the kept stack {kept.prefix} lives in {kept.account}, not in {account}: run "
                f"against that account, or destroy it there with --reuse-stack and no "
                f"--keep-stack (deleting {record.parent} only forgets it)"
            )
        return kept

    def save(self, kept: KeptStack) -> None:
        kept.workdir.mkdir(parents=True, exist_ok=True)
        (kept.workdir / RECORD_FILE).write_text(kept.to_json() + "\n")

    def forget(self, key: str) -> None:
        shutil.rmtree(self.workdir(key), ignore_errors=True)


def account_of(target: Target) -> str:
    """Where a target's stacks live, as a kept stack's record names it."""
    endpoint = target.endpoint or os.environ.get(ENDPOINT_ENV)
    return f"{endpoint} ({target.region})" if endpoint else f"aws ({target.region})"


def stage_options_problem(*, keep: bool, reuse: bool, workers: bool, account_outlives_run: bool):
    """Why --keep-stack/--reuse-stack cannot run as asked, or None."""
    if not (keep or reuse):
        return None
    if workers:
        return (
            "--keep-stack and --reuse-stack run in one process: drop -n (each xdist worker "
            "would keep a stack of its own that the next run could not tell apart)"
        )
    if not account_outlives_run:
        return (
            "a kept stack needs an account that outlives the run, and --target local starts one "
            "per run: start `counterstack account` and run with --target aws and "
            f"{ENDPOINT_ENV}=<its URL> (fake keys), or against a real account"
        )
    return None


@contextmanager
def staged_stack(
    root_dir: Path,
    *,
    store: StackStore,
    key: str,
    keep: bool,
    reuse: bool,
    target: Target,
    new_prefix: Callable[[], str],
    new_workdir: Callable[[str], Path],
    **options: Any,
) -> Iterator[Stack]:
    """`ephemeral_stack`, kept after the run (`keep`) or taken up from the last one (`reuse`);
    with neither, exactly `ephemeral_stack` on a fresh prefix and workdir."""
    account = account_of(target)
    kept = store.find(key, account) if reuse else None
    prefix = kept.prefix if kept else new_prefix()
    if kept:
        workdir = kept.workdir
    elif keep:
        store.forget(key)  # a folder left without a record holds no stack anyone can find
        workdir = store.workdir(key)
    else:
        workdir = new_workdir(prefix)
    if keep:  # recorded before the apply: a failed apply is resumed by the next --reuse-stack
        store.save(KeptStack(key, prefix, workdir, account))
    # A reused stack's record goes once it is destroyed; kept again, it stays.
    forget = (lambda: store.forget(key)) if kept and not keep else None
    with ephemeral_stack(
        root_dir,
        target=target,
        workdir=workdir,
        prefix=prefix,
        keep=keep,
        on_destroyed=forget,
        **options,
    ) as stack:
        yield stack
