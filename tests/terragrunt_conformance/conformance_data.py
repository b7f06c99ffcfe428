"""The conformance set taken from Terragrunt's own tests, read in place, and its comparisons.

The set is data kept outside this repository: `COUNTERSTACK_CONFORMANCE_DIR` names it, else
`../shared/terragrunt-conformance/` beside the checkout (where this project's own machines keep
it). Any folder in its format (its README gives it) runs through the same tests. Without one the
tests skip with one line, unless `COUNTERSTACK_REQUIRE_CONFORMANCE=1` (`.ci/run`, where the folder
exists) makes that a failure. Expected values are subsets of what we compute: objects compare
key by key (keys not listed are free), lists and scalars must be equal (numbers numerically),
and each `_exact` path must be deep-equal.
"""

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest

from counterstack.paths import REPO_ROOT

DIR_ENV = "COUNTERSTACK_CONFORMANCE_DIR"
REQUIRE_ENV = "COUNTERSTACK_REQUIRE_CONFORMANCE"
DEFAULT_DIR = REPO_ROOT.parent / "shared" / "terragrunt-conformance"


def conformance_dir() -> Path:
    """Where the set is read from: `$COUNTERSTACK_CONFORMANCE_DIR`, else the folder beside the
    checkout. The one place that decides it (the case, table and run tests all read here)."""
    return Path(os.environ[DIR_ENV]) if os.environ.get(DIR_ENV) else DEFAULT_DIR


DATA = conformance_dir()
CASES = DATA / "cases"
TABLES = DATA / "tables"
PLACEHOLDER = "${CASE}"

# What we do not claim, by feature: each skipped case or row names it.
UNSUPPORTED: dict[str, str] = {}


def absent_reason() -> str | None:
    """Why the set cannot be read, or None when it can."""
    if (DATA / "README.md").is_file():
        return None
    return (
        f"Terragrunt conformance data not found at {DATA}: it is the set transcribed from "
        f"Terragrunt's own tests, kept outside this repository; set {DIR_ENV} to a copy "
        "to run these tests"
    )


def required() -> bool:
    """The data must be there: `.ci/run` says so where the folder exists, and naming a folder
    in `$COUNTERSTACK_CONFORMANCE_DIR` asks for it."""
    return os.environ.get(REQUIRE_ENV) == "1" or bool(os.environ.get(DIR_ENV))


def skip_module_without_data() -> None:
    """At import of a conformance test module: without the data, skip the module whole with
    the one reason line (pytest and xdist fold the modules' identical skips into one), unless
    it is required: then the tests collect and `require_data` fails them."""
    reason = absent_reason()
    if reason is not None and not required():
        pytest.skip(reason, allow_module_level=True)


def require_data() -> None:
    """Where the data is required, its absence is a broken checkout: fail, never pass empty."""
    if (reason := absent_reason()) is not None:
        pytest.fail(f"{reason} (required: {REQUIRE_ENV}=1 or {DIR_ENV} set)", pytrace=False)


def case_ids() -> list[str]:
    return (
        sorted(p.name for p in CASES.iterdir() if (p / "case.json").is_file())
        if CASES.is_dir()
        else []
    )


# The README's status line, e.g. "(42 cases + 72 table rows)".
DECLARED = re.compile(r"\((\d+) cases \+ (\d+) table rows\)")


def declared_counts() -> tuple[int, int]:
    """The cases and table rows the set's README says it holds."""
    found = DECLARED.search((DATA / "README.md").read_text())
    assert found, f"{DATA / 'README.md'} declares no '(N cases + M table rows)'"
    return int(found[1]), int(found[2])


def table_rows(name: str) -> list[dict[str, Any]]:
    path = TABLES / f"{name}.json"
    return json.loads(path.read_text())["rows"] if path.is_file() else []


def load(case_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = CASES / case_id
    return (
        json.loads((folder / "case.json").read_text()),
        json.loads((folder / "expected.json").read_text()),
    )


def substitute(value: Any, root: Path) -> Any:
    """${CASE} replaced by the case's tree root, everywhere in a JSON value."""
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, str(root))
    if isinstance(value, dict):
        return {key: substitute(item, root) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, root) for item in value]
    return value


def equal(actual: Any, expected: Any) -> bool:
    """Deep equality with numbers compared numerically (42 == 42.0), bools never numbers."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected if isinstance(expected, bool) else False
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(actual, expected)
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(equal(actual[key], expected[key]) for key in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(equal(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return actual == expected


def subset_mismatches(actual: Any, expected: Any, where: str = "") -> list[str]:
    """Where `actual` fails to hold `expected` as a recursive subset (objects only)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key, value in expected.items():
            path = f"{where}.{key}" if where else key
            if key not in actual:
                found.append(f"{path}: missing")
            else:
                found += subset_mismatches(actual[key], value, path)
        return found
    return [] if equal(actual, expected) else [f"{where}: {actual!r} != {expected!r}"]


def at(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        value = value[part]
    return value
