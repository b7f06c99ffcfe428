"""Reading HCL files with python-hcl2, and the few shapes of its output everything here needs.

python-hcl2 (v8) keeps HCL's shape: blocks are lists of `{label: body}` with quoted labels, literal
strings keep their quotes (`'"dev"'`), and expressions come back as `"${...}"` text. `literal`
reads the plain values; `expressions` evaluates the rest.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

_OPTIONS = SerializationOptions(with_comments=False)


def parse_hcl(text: str) -> dict[str, Any]:
    """Parse HCL text into python-hcl2's dict form (raises on syntax errors).

    A unit's reading loads the root, env.hcl and adopted.hcl again for each unit and each include,
    and python-hcl2's parser costs ~40 ms a file: the same text is parsed once, and every caller
    gets its own copy to change.
    """
    return copy.deepcopy(_parsed(text))


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> dict[str, Any]:
    return hcl2.loads(text, serialization_options=_OPTIONS)


def load_hcl(path: Path) -> dict[str, Any]:
    """Parse one HCL file into python-hcl2's dict form (raises on syntax errors)."""
    return parse_hcl(path.read_text(encoding="utf-8"))


def literal(value: Any) -> Any:
    """The value of a literal (string without interpolation, number, bool), else None."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        return None if "${" in inner or "%{" in inner else inner
    return None


def blocks(doc: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Labelled blocks of one kind (`dependency "x" {}`) as {label: body}."""
    found: dict[str, dict[str, Any]] = {}
    for entry in doc.get(kind, []):
        for label, body in entry.items():
            found[label.strip('"')] = body
    return found


def block(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    """Body of an unlabelled block (`terraform {}`, `locals {}`), merged if repeated."""
    merged: dict[str, Any] = {}
    for entry in doc.get(kind, []):
        merged.update(entry)
    return merged


def strings(value: Any) -> list[str]:
    """Every string inside a parsed value, keys included (references hide in both)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def outside_strings(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) of `text` from `start`, quoted strings' insides skipped (their quotes
    are given), so a scanner sees only HCL's structure."""
    index, quoted = start, False
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
                yield index, char
        else:
            yield index, char
            quoted = char == '"'
        index += 1
