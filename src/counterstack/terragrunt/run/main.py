"""The runner's entry point: a Terragrunt command line carried out in a folder."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from counterstack.errors import CounterStackError
from counterstack.terragrunt.expressions import EvaluationError
from counterstack.terragrunt.run.argv import parse
from counterstack.terragrunt.run.run_all import run_all
from counterstack.terragrunt.run.unit_run import UnitRunner


def terragrunt(
    argv: list[str],
    cwd: Path | str,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`terragrunt ARGV` run in `cwd` by this runner; its exit code (errors said on `err`)."""
    out, err = out or sys.stdout, err or sys.stderr
    env = dict(os.environ if env is None else env)
    try:
        request = parse(argv)
        top = (Path(cwd) / request.working_dir).resolve()
        runner = UnitRunner(request, env, out, err)
        if request.all:
            return 0 if run_all(runner, top) else 1
        runner.run(top, request.command, request.args)
        return 0
    except (CounterStackError, EvaluationError) as error:
        print(f"ERROR {error}", file=err)
        return 1
