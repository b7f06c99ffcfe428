"""`before_hook`, `after_hook` and `error_hook` of a unit's terraform block, run as Terragrunt runs
them: for the commands they list, in the working copy unless `working_dir` says otherwise, skipped
when `if` is false. A hook's stdout is the run's stdout; a non-zero exit fails the run with its
stderr. After hooks run after a success (or also after a failure with `run_on_error`); error hooks
run after a failure whose message matches one of their `on_errors` patterns.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from counterstack.terragrunt.expressions import EvaluationError, plain


class HookError(EvaluationError):
    """A hook exited non-zero (or could not start)."""


def _hooks(config: Mapping[str, Any], kind: str, command: str) -> list[tuple[str, dict]]:
    found = []
    for name, body in ((config.get("terraform") or {}).get(kind) or {}).items():
        hook = plain(body)
        if command in (hook.get("commands") or []) and hook.get("if", True) is not False:
            found.append((name, hook))
    return found


def _matches(patterns: list[str], message: str) -> bool:
    for pattern in patterns:
        try:
            if re.search(pattern, message, re.DOTALL):
                return True
        except re.error:  # not a regular expression: a plain fragment
            if pattern.strip("*") in message:
                return True
    return False


def run_hooks(
    config: Mapping[str, Any],
    kind: str,
    command: str,
    workdir: Path,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    *,
    failed: str | None = None,
) -> None:
    """Run the hooks of `kind` that apply; a HookError on the first that fails."""
    for name, hook in _hooks(config, kind, command):
        if kind == "after_hook" and failed is not None and not hook.get("run_on_error"):
            continue
        if kind == "error_hook" and not _matches(hook.get("on_errors") or [], failed or ""):
            continue
        execute = [str(word) for word in hook.get("execute") or []]
        if not execute:
            raise HookError(f'{kind} "{name}": execute is empty')
        cwd = Path(hook["working_dir"]) if hook.get("working_dir") else workdir
        print(f"Executing hook: {name}", file=err)
        try:
            result = subprocess.run(
                execute, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
            )
        except OSError as error:
            raise HookError(f'{kind} "{name}": cannot run {execute[0]}: {error}') from None
        out.write(result.stdout)
        err.write(result.stderr)
        if result.returncode != 0:
            raise HookError(
                f'Hook "{name}" ({" ".join(execute)}) exited with non-zero exit code '
                f"{result.returncode}: {result.stderr.strip()}"
            )
