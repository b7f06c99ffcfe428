""".ci/run's pytest stages, together, run every collected test: a new test no stage selects (or
one only an AWS stage selects, where a local_only test is skipped) fails here, not silently.

The stages are read from .ci/run itself and from the scripts it runs (scripts/rehearse-nightly,
then scripts/nightly-*), so a stage added there is counted without editing this file. The whole
suite is collected once, each test with its markers; each stage's `-m` expression is evaluated
by pytest's own expression engine, as `pytest -m` would.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression  # what `pytest -m` evaluates; no public API

from counterstack.paths import REPO_ROOT

pytestmark = pytest.mark.unit

CI_RUN = REPO_ROOT / ".ci" / "run"
# A bare run (no -m, no test named) leaves the slow tests out: tests/conftest.py, leaves_out_slow.
BARE_RUN = "not slow"
PYTEST = re.compile(r"(^|[\s/])pytest\s")
SCRIPT = re.compile(r"(?<![\w/.-])(scripts/[\w.-]+)")
STOP = {"||", "&&", "|", ";", "&", ">", ">>", "2>", "2>&1", ")"}
OPTIONS_WITH_A_VALUE = {
    *("-n", "-p", "-c", "-o", "-W", "-r", "--target", "--junitxml", "--timeout", "--dist"),
    *("--maxfail", "--tb", "--durations", "--basetemp", "--rootdir", "--smoke-url"),
}


@dataclass(frozen=True)
class Stage:
    """One pytest command of CI: where it was read, its paths, marker expression and target."""

    source: str
    paths: tuple[str, ...]
    markexpr: str
    target: str

    def selects(self, nodeid: str, markers: set[str]) -> bool:
        under = any(nodeid == p or nodeid.startswith(p.rstrip("/") + "/") for p in self.paths)
        matches = lambda name, **kwargs: name in markers and not kwargs  # noqa: E731
        return under and Expression.compile(self.markexpr).evaluate(matches)

    def runs(self, markers: set[str]) -> bool:
        """Selected tests that this stage also runs: on AWS a local_only test is skipped."""
        return not (self.target == "aws" and "local_only" in markers)


def logical_lines(text: str) -> list[tuple[int, str]]:
    """The script's commands with continuation lines joined, each with its first line's number."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, line in enumerate(text.splitlines(), 1):
        start = start if pending else number
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        lines.append((start, pending + line))
        pending = ""
    return lines


def pytest_stage(source: str, words: list[str]) -> Stage:
    """A Stage from the words after `pytest`; an option this reader does not model is an error,
    so a stage selecting in a new way fails loudly instead of being miscounted."""
    paths: list[str] = []
    markexpr, target = "", "local"
    rest = iter(words)
    for word in rest:
        if word in STOP:
            break
        name = word.split("=", 1)[0]
        if word == "-m":
            markexpr = next(rest)
        elif word in OPTIONS_WITH_A_VALUE:
            value = next(rest)
            target = value if word == "--target" else target
        elif word in ("-k", "--deselect", "--ignore", "--lf") or name in ("--ignore", "--deselect"):
            raise AssertionError(f"{source}: `{word}` selects in a way this test cannot read")
        elif not word.startswith("-") and "$" not in word:
            if not (REPO_ROOT / word.split("::")[0]).exists():
                raise AssertionError(f"{source}: `{word}` is no path: which option takes it?")
            paths.append(word)
    bare = not paths and not markexpr
    return Stage(source, tuple(paths or ["tests"]), BARE_RUN if bare else markexpr, target)


def ci_stages(script: Path = CI_RUN, seen: set[Path] | None = None) -> list[Stage]:
    """Every pytest command of `script` and of the project scripts it runs, recursively."""
    seen = set() if seen is None else seen
    seen.add(script)
    stages: list[Stage] = []
    for number, line in logical_lines(script.read_text()):
        source = f"{script.relative_to(REPO_ROOT)}:{number}"
        words = shlex.split(line, comments=True) if PYTEST.search(line) else []
        for index, word in enumerate(words):
            if word == "pytest" or word.endswith("/pytest"):
                stages.append(pytest_stage(source, words[index + 1 :]))
                break
        for found in SCRIPT.findall(line.split("#", 1)[0]):
            path = REPO_ROOT / found
            if path.is_file() and path not in seen:
                stages += ci_stages(path, seen)
    return stages


PROBE_ARGS = ("-p", "no:cacheprovider", "-p", "ci_selections_probe", "tests")
# Written into the collecting pytest: each test's node id and the names of all its markers.
PROBE = """
import json, os

def pytest_collection_modifyitems(items):
    found = {item.nodeid: sorted({m.name for m in item.iter_markers()}) for item in items}
    with open(os.environ["CI_SELECTIONS_OUT"], "w") as out:
        json.dump(found, out)
"""


def collected(tmp_path: Path) -> dict[str, set[str]]:
    """The whole suite as pytest collects it (`tests` named, so nothing is left out)."""
    (tmp_path / "ci_selections_probe.py").write_text(PROBE)
    out = tmp_path / "collected.json"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *PROBE_ARGS],
        cwd=REPO_ROOT,
        env={**_environ(), "PYTHONPATH": str(tmp_path), "CI_SELECTIONS_OUT": str(out)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {nodeid: set(names) for nodeid, names in json.loads(out.read_text()).items()}


def _environ() -> dict[str, str]:
    """This environment less the running pytest's own variables (xdist's worker id)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}


def test_ci_has_the_stages_this_test_expects_to_read():
    """The reader finds the default run, the slow stage and both nightly jobs."""
    stages = {(s.paths, s.markexpr, s.target) for s in ci_stages()}
    assert (("tests",), BARE_RUN, "local") in stages
    assert (("tests",), "slow and (local_only or not e2e)", "local") in stages
    assert (("tests",), "e2e", "aws") in stages
    assert (("tests/account",), "account and not local_only", "aws") in stages


def test_every_collected_test_runs_in_some_stage(tmp_path):
    stages = ci_stages()
    unselected, only_skipped = [], []
    for nodeid, markers in sorted(collected(tmp_path).items()):
        selecting = [stage for stage in stages if stage.selects(nodeid, markers)]
        if not selecting:
            unselected.append(nodeid)
        elif not any(stage.runs(markers) for stage in selecting):
            only_skipped.append(f"{nodeid} (selected by {selecting[0].source} on --target aws)")
    assert not unselected, "no stage of .ci/run selects:\n" + "\n".join(unselected)
    assert not only_skipped, "selected only where local_only skips it:\n" + "\n".join(only_skipped)


@pytest.mark.parametrize(
    ("markers", "selected_by"),
    [
        ({"unit"}, [BARE_RUN]),
        ({"e2e", "slow"}, ["e2e"]),
        ({"e2e", "slow", "local_only"}, ["slow and (local_only or not e2e)", "e2e"]),
        ({"account", "slow"}, ["slow and (local_only or not e2e)"]),
    ],
)
def test_a_stage_selects_by_its_marker_expression(markers, selected_by):
    stages = [s for s in ci_stages() if s.selects("tests/e2e/test_x.py::test_y", markers)]
    assert [s.markexpr for s in stages] == selected_by


def test_a_stage_selecting_by_keyword_is_refused():
    with pytest.raises(AssertionError, match="`-k` selects in a way"):
        pytest_stage(".ci/run:1", ["-n", "auto", "-k", "visitors"])


def test_a_word_that_is_no_path_is_refused():
    with pytest.raises(AssertionError, match="`3` is no path"):
        pytest_stage(".ci/run:1", ["--new-option", "3", "tests"])


def test_paths_and_target_are_read_past_shell_words():
    stage = pytest_stage(
        "scripts/x:1",
        ["-n", "${N:-4}", "tests/account", "-m", "account", "--target", "aws", "$@", "||", "x"],
    )
    assert stage == Stage("scripts/x:1", ("tests/account",), "account", "aws")
