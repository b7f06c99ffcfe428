"""The `run --all` queue: which unit runs when, and what a failure does to the rest.

As Terragrunt's queue: units in order of their dependency level (the longest chain of
dependencies below them), then by name; a destroy runs the reverse way (dependents first). A unit is
ready once every unit it waits for has succeeded (its dependencies; for a destroy, its dependents).
A failure marks every unit that waits on it, transitively, "early exit"; with fail-fast every unit
not yet finished. A cycle is refused before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from counterstack.terragrunt.expressions import EvaluationError

SUCCEEDED, FAILED, EARLY_EXIT = "succeeded", "failed", "early exit"
READY, WAITING, RUNNING = "ready", "waiting", "running"


class DependencyCycleError(EvaluationError):
    """Units that depend on themselves through others: nothing can run first."""


def find_cycle(units: Mapping[str, set[str] | list[str]]) -> list[str] | None:
    """A cycle as the path that closes it (`a -> b -> a`), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = 1
        for dep in sorted(units.get(name, ())):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep] if dep in path else [name, dep]
            if dep not in state and (found := visit(dep, [*path, dep])):
                return found
        state[name] = 2
        return None

    for name in sorted(units):
        if name not in state and (found := visit(name, [name])):
            return found
    return None


def refuse_cycles(units: Mapping[str, set[str] | list[str]]) -> None:
    cycle = find_cycle(units)
    if cycle:
        raise DependencyCycleError(
            "Found a dependency cycle between modules: " + " -> ".join(cycle)
        )


def levels(units: Mapping[str, set[str] | list[str]]) -> dict[str, int]:
    """Each unit's dependency level: 0 without dependencies, else 1 + its deepest dependency's."""
    refuse_cycles(units)
    found: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in found:
            deps = [d for d in units.get(name, ()) if d in units]
            found[name] = 1 + max(map(level, deps)) if deps else 0
        return found[name]

    for name in units:
        level(name)
    return found


def queue_order(units: Mapping[str, set[str] | list[str]], *, destroy: bool = False) -> list[str]:
    """Dependencies first by level then name; reversed for a destroy."""
    level = levels(units)
    order = sorted(units, key=lambda name: (level[name], name))
    return order[::-1] if destroy else order


def waves(units: Mapping[str, set[str] | list[str]]) -> list[list[str]]:
    """The units grouped by dependency level: each wave needs only the waves before it."""
    level = levels(units)
    found: list[list[str]] = [[] for _ in range(1 + max(level.values(), default=-1))]
    for name in queue_order(units):
        found[level[name]].append(name)
    return found


class Queue:
    """The units of one `run --all` and each one's state as the run goes."""

    def __init__(
        self,
        units: Mapping[str, set[str] | list[str]],
        *,
        destroy: bool = False,
        fail_fast: bool = False,
        ignore_dependency_order: bool = False,
    ) -> None:
        self.order = queue_order(units, destroy=destroy)
        deps = {name: {d for d in units[name] if d in units} for name in units}
        dependents = {name: {u for u in units if name in deps[u]} for name in units}
        # What each unit waits for, and who waits for it.
        self.waits_for = dependents if destroy else deps
        self.waited_by = deps if destroy else dependents
        self.fail_fast = fail_fast
        self.ignore_dependency_order = ignore_dependency_order
        self.finished: dict[str, str] = {}
        self.running: set[str] = set()

    def status(self, name: str) -> str:
        if name in self.finished:
            return self.finished[name]
        if name in self.running:
            return RUNNING
        blockers = self.waits_for[name]
        ready = self.ignore_dependency_order or all(
            self.finished.get(b) == SUCCEEDED for b in blockers
        )
        return READY if ready else WAITING

    def ready(self) -> list[str]:
        """Units that may start now, by name."""
        return sorted(name for name in self.order if self.status(name) == READY)

    def start(self, name: str) -> None:
        self.running.add(name)

    def succeed(self, name: str) -> None:
        self.running.discard(name)
        self.finished[name] = SUCCEEDED

    def fail(self, name: str) -> list[str]:
        """Mark `name` failed; the units that now exit early, in queue order."""
        self.running.discard(name)
        self.finished[name] = FAILED
        if self.fail_fast:
            skipped = {n for n in self.order if n not in self.finished and n not in self.running}
        else:
            skipped, todo = set(), [name]
            while todo:
                for waiting in self.waited_by[todo.pop()]:
                    if waiting not in skipped and waiting not in self.finished:
                        skipped.add(waiting)
                        todo.append(waiting)
        for skipped_name in skipped:
            self.finished[skipped_name] = EARLY_EXIT
        return [n for n in self.order if n in skipped]

    def done(self) -> bool:
        return len(self.finished) == len(self.order)
