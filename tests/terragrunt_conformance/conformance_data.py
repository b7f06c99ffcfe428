"""The conformance set taken from Terragrunt's own tests, read in place, and its comparisons.

The set lives beside the repository (`../shared/terragrunt-conformance/`, as CI checks it out);
its README gives the format. Expected values are subsets of what we compute: objects compare
key by key (keys not listed are free), lists and scalars must be equal (numbers numerically),
and each `_exact` path must be deep-equal.
"""

import json
import math
from pathlib import Path
from typing import Any

import pytest

from counterstack.paths import REPO_ROOT

DATA = REPO_ROOT.parent / "shared" / "terragrunt-conformance"
CASES = DATA / "cases"
TABLES = DATA / "tables"
PLACEHOLDER = "${CASE}"

# What we do not claim, by feature: each skipped case or row names it.
UNSUPPORTED: dict[str, str] = {}


def require_data() -> None:
    """CI always checks the set out beside the repository: its absence is a broken checkout."""
    if not (DATA / "README.md").is_file():
        pytest.fail(
            f"the Terragrunt conformance set is missing: expected {DATA} (../shared/"
            "terragrunt-conformance beside the repository root, as CI checks it out)",
            pytrace=False,
        )


def case_ids() -> list[str]:
    return (
        sorted(p.name for p in CASES.iterdir() if (p / "case.json").is_file())
        if CASES.is_dir()
        else []
    )


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
