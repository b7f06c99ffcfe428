"""`terragrunt run --all`: every unit under a folder, in the queue's order.

Units are the folders holding a terragrunt.hcl under the working folder (caches skipped), plus the
units they depend on outside it (external; left out with `--queue-exclude-external`). An
`exclude` block that matches the command leaves its unit out (and its dependencies with
`exclude_dependencies`). The order is printed as Terragrunt prints it, then each ready unit runs;
a failure makes its dependents (for a destroy, its dependencies) exit early. Terraform's args
change as Terragrunt changes them: `-auto-approve` for apply and destroy, `-input=false`.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from counterstack.errors import CounterStackError
from counterstack.terragrunt.expressions import EvaluationError
from counterstack.terragrunt.run.argv import Request
from counterstack.terragrunt.run.queue import EARLY_EXIT, FAILED, SUCCEEDED, Queue, levels, waves
from counterstack.terragrunt.run.unit_run import UnitRunner, excluded_by
from counterstack.terragrunt.tree import SKIP_DIRS
from counterstack.terragrunt.unit import UNIT_CONFIG, as_flag

AUTO_APPROVED = ("apply", "destroy")
TAKES_INPUT = ("apply", "destroy", "import", "init", "plan", "refresh")
EXCLUDED = "excluded"


def discover(top: Path) -> list[Path]:
    """Unit folders under `top` (itself included), caches and hidden folders skipped."""
    found = []
    for current, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        if UNIT_CONFIG in files:
            found.append(Path(current))
    return found


def terraform_args(command: str, args: list[str], *, auto_approve: bool) -> list[str]:
    """The args Terragrunt hands Terraform in a run --all."""
    added = []
    if command in AUTO_APPROVED and auto_approve and "-auto-approve" not in args:
        added.append("-auto-approve")
    if command in TAKES_INPUT and not any(a.startswith("-input") for a in args):
        added.append("-input=false")
    return [*added, *args]


def name_of(unit: Path, top: Path) -> str:
    return os.path.relpath(unit, top)


def dag_tree(units: dict[str, set[str]], *, destroy: bool) -> str:
    """The queue as Terragrunt draws it: roots (no dependencies; for a destroy, no dependents)
    with what follows them beneath."""
    level = levels(units)
    below = {name: {u for u in units if name in units[u]} for name in units}  # dependents
    if destroy:
        below = {name: set(units[name]) for name in units}
    roots = [n for n in units if not any(n in below[u] for u in units)]
    lines = ["."]

    def draw(names: list[str], indent: str) -> None:
        ordered = sorted(names, key=lambda n: (level[n], n))
        for i, name in enumerate(ordered):
            last = i == len(ordered) - 1
            lines.append(f"{indent}{'╰── ' if last else '├── '}{name}")
            draw(list(below[name]), indent + ("    " if last else "│   "))

    draw(roots, "")
    return "\n".join(lines)


def unit_dependencies(
    units: Sequence[Path], env: Mapping[str, str] | None = None
) -> dict[Path, dict[str, Path]]:
    """Each of `units` with the units it depends on among them, by dependency block name (a
    `dependencies.paths` entry by its path): {unit: {name: dependency unit}}."""
    environment = dict(os.environ if env is None else env)
    reader = UnitRunner(Request(command="plan"), environment, io.StringIO(), io.StringIO())
    chosen = dict.fromkeys(Path(u).resolve() for u in units)
    found: dict[Path, dict[str, Path]] = {}
    for unit in chosen:
        config = reader.read(unit)
        names = {block.unit_dir(): name for name, block in config.dependencies.items()}
        found[unit] = {
            names.get(d, str(d)): d for d in reader.dependency_dirs(config) if d in chosen
        }
    return found


def dependency_waves(dependencies: Mapping[Path, Mapping[str, Path]]) -> list[list[Path]]:
    """Units (from `unit_dependencies`) in the queue's waves, dependencies first: each unit's
    dependencies among them sit in an earlier wave (one outside them is another run's to apply).
    A cycle is refused."""
    graph = {str(unit): {str(d) for d in deps.values()} for unit, deps in dependencies.items()}
    return [[Path(name) for name in wave] for wave in waves(graph)]


def run_all(runner: UnitRunner, top: Path) -> bool:
    """Run the request in every unit under `top`; whether every unit that ran succeeded."""
    request, err = runner.request, runner.err
    command = request.command
    graph = runner.graph(discover(top))
    inside = set(discover(top))
    excluded: dict[Path, str] = {}
    for unit in graph:
        if unit not in inside and request.exclude_external:
            excluded[unit] = "--queue-exclude-external"
    for unit in list(graph):
        exclude = excluded_by(runner.read(unit), command)
        if exclude:
            excluded[unit] = "exclude block"
            if as_flag(exclude.get("exclude_dependencies"), "exclude_dependencies"):
                for dependency in graph[unit]:
                    excluded[dependency] = "exclude block"
    names = {unit: name_of(unit, top) for unit in graph}
    units = {names[u]: {names[d] for d in deps} for u, deps in graph.items()}
    order = (
        "dependents and then their dependencies"
        if request.destroy
        else ("dependencies and then their dependents")
    )
    print(
        f"Unit queue for `{command}`, starting with {order}:\n"
        + dag_tree(units, destroy=request.destroy),
        file=err,
    )
    for unit, reason in sorted(excluded.items()):
        print(f"Excluded {names[unit]} ({reason})", file=err)
    queue = Queue(units, destroy=request.destroy, fail_fast=request.fail_fast)
    report: dict[str, dict[str, Any]] = {}
    by_name = {names[u]: u for u in graph}
    for unit in excluded:
        queue.succeed(names[unit])
        report[names[unit]] = {"Result": EXCLUDED, "Reason": excluded[unit]}
    args = terraform_args(command, request.args, auto_approve=not request.no_auto_approve)
    while ready := queue.ready():
        for name in ready:
            queue.start(name)
            started = _now()
            print(f"Running unit {name}", file=err)
            try:
                runner.run(by_name[name], command, args)
            except (CounterStackError, EvaluationError) as error:
                print(f"ERROR unit {name}: {error}", file=err)
                for skipped in queue.fail(name):
                    report[skipped] = {"Result": EARLY_EXIT, "Reason": "ancestor error"}
                report[name] = {"Result": FAILED, "Reason": "run error", "Started": started}
                continue
            queue.succeed(name)
            report[name] = {"Result": SUCCEEDED, "Started": started}
    if request.report_file:
        _write_report(Path(request.report_file), report)
    return not any(entry["Result"] == FAILED for entry in report.values())


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _write_report(path: Path, report: dict[str, dict[str, Any]]) -> None:
    entries = []
    for name, entry in sorted(report.items()):
        started = entry.pop("Started", _now())
        entries.append({"Name": name, "Started": started, "Ended": _now(), **entry})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2))
