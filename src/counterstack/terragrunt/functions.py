"""Terraform's built-in functions that Terragrunt configs call, as plain Python over plain values.

Terragrunt offers Terraform's functions in every config; these are the ones Terragrunt's own tests
and this project's configs use. Functions that read files are bound to a config's folder in
`config`; `try` and `can` live in `expressions` (they must see their arguments' errors).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from counterstack.terragrunt.expressions import EvaluationError, Function, template_string

_VERB = re.compile(r"%(%|[-+# 0]*\d*(?:\.\d+)?[sdvqftb])")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _string(value: Any, function: str) -> str:
    if not isinstance(value, str):
        raise EvaluationError(f"{function}() takes a string, not {_kind(value)}")
    return value


def _list(value: Any, function: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise EvaluationError(f"{function}() takes a list, not {_kind(value)}")
    return list(value)


def _map(value: Any, function: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EvaluationError(f"{function}() takes a map or an object, not {_kind(value)}")
    return value


def merge(*items: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for item in items:
        if item is not None:
            merged.update(_map(item, "merge"))
    return merged


def lookup(table: Any, key: Any, *default: Any) -> Any:
    table = _map(table, "lookup")
    if key in table:
        return table[key]
    if default:
        return default[0]
    raise EvaluationError(f"lookup(): no key {key!r} and no default")


def dirname(path: Any) -> str:
    """Go's filepath.Dir, as Terraform's dirname: all but the last element, "." when none."""
    return posixpath.normpath(posixpath.dirname(_string(path, "dirname")) or ".")


def basename(path: Any) -> str:
    """Go's filepath.Base, as Terraform's basename: the last element, trailing slashes dropped."""
    stripped = _string(path, "basename").rstrip("/")
    if not stripped:
        return "/" if path else "."
    return posixpath.basename(stripped)


def jsonencode(value: Any) -> str:
    """Compact JSON with sorted keys and Go's HTML escaping, as Terraform encodes."""
    text = json.dumps(_integral(value), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _integral(value: Any) -> Any:
    """Whole floats as ints, so 42.0 encodes as 42 the way cty numbers do."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_integral(item) for item in value]
    return value


def jsondecode(text: Any) -> Any:
    try:
        return json.loads(_string(text, "jsondecode"))
    except json.JSONDecodeError as error:
        raise EvaluationError(f"jsondecode(): not JSON ({error})") from None


def format_(spec: Any, *values: Any) -> str:
    """Terraform's format() for the verbs configs use: %s %d %v %q %f %t %b and %%."""
    values_left = list(values)

    def verb(match: re.Match) -> str:
        if match[1] == "%":
            return "%"
        if not values_left:
            raise EvaluationError(f"format(): too few arguments for {spec!r}")
        value, kind, flags = values_left.pop(0), match[1][-1], match[1][:-1]
        if kind == "q":
            return json.dumps(_string(value, "format"))
        if kind in "sv":
            text = jsonencode(value) if isinstance(value, Mapping | list) else None
            return ("%" + flags + "s") % (text if text is not None else template_string(value))
        if kind == "t":
            return "true" if value else "false"
        if kind in "db":
            return ("%" + flags + ("d" if kind == "d" else "s")) % (
                int(value) if kind == "d" else format(int(value), "b")
            )
        return ("%" + flags + "f") % float(value)

    text = _VERB.sub(verb, _string(spec, "format"))
    if values_left:
        raise EvaluationError(f"format(): too many arguments for {spec!r}")
    return text


def concat(*lists: Any) -> list[Any]:
    return [item for items in lists for item in _list(items, "concat")]


def flatten(items: Any) -> list[Any]:
    flat: list[Any] = []
    for item in _list(items, "flatten"):
        flat += flatten(item) if isinstance(item, list | tuple) else [item]
    return flat


def coalesce(*values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    raise EvaluationError("coalesce(): no non-null, non-empty argument")


def length(value: Any) -> int:
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise EvaluationError(f"length() takes a string, list or map, not {_kind(value)}")


def tobool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise EvaluationError(f"tobool(): cannot convert {value!r} to a bool")


def tonumber(value: Any) -> Any:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    try:
        number = float(_string(value, "tonumber"))
    except ValueError:
        raise EvaluationError(f"tonumber(): cannot convert {value!r} to a number") from None
    return int(number) if number.is_integer() else number


def element(items: Any, index: Any) -> Any:
    items = _list(items, "element")
    if not items:
        raise EvaluationError("element(): the list is empty")
    return items[int(index) % len(items)]


def replace(text: Any, old: Any, new: Any) -> str:
    old = _string(old, "replace")
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        go_groups = re.sub(r"\$\{?(\d+)\}?", r"\\g<\1>", _string(new, "replace"))
        return re.sub(old[1:-1], go_groups, _string(text, "replace"))
    return _string(text, "replace").replace(old, _string(new, "replace"))


BUILTINS: dict[str, Function] = {
    "merge": merge,
    "lookup": lookup,
    "dirname": dirname,
    "basename": basename,
    "jsonencode": jsonencode,
    "jsondecode": jsondecode,
    "format": format_,
    "concat": concat,
    "flatten": flatten,
    "coalesce": coalesce,
    "length": length,
    "element": element,
    "replace": replace,
    "tobool": tobool,
    "tonumber": tonumber,
    "tostring": lambda value: None if value is None else template_string(value),
    "tolist": lambda items: _list(items, "tolist"),
    "tomap": lambda table: dict(_map(table, "tomap")),
    "keys": lambda table: sorted(_map(table, "keys")),
    "values": lambda table: [table[key] for key in sorted(_map(table, "values"))],
    "contains": lambda items, value: value in _list(items, "contains"),
    "distinct": lambda items: list({jsonencode(i): i for i in _list(items, "distinct")}.values()),
    "compact": lambda items: [item for item in _list(items, "compact") if item not in (None, "")],
    "join": lambda separator, items: _string(separator, "join").join(
        template_string(item) for item in _list(items, "join")
    ),
    "split": lambda separator, text: _string(text, "split").split(_string(separator, "split")),
    "trimspace": lambda text: _string(text, "trimspace").strip(),
    "trimprefix": lambda text, prefix: _string(text, "trimprefix").removeprefix(prefix),
    "trimsuffix": lambda text, suffix: _string(text, "trimsuffix").removesuffix(suffix),
    "lower": lambda text: _string(text, "lower").lower(),
    "upper": lambda text: _string(text, "upper").upper(),
    "startswith": lambda text, prefix: _string(text, "startswith").startswith(prefix),
    "endswith": lambda text, suffix: _string(text, "endswith").endswith(suffix),
}
