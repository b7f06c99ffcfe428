"""HCL text as Terragrunt's writer (Go's hclwrite) lays it out.

`hcl_body` writes values as attributes: keys sorted, `=` aligned across a run of one-line
attributes (a multi-line value ends the run), lists on one line as `[a, b]`, objects expanded.
`format_hcl` re-lays out existing HCL text the way `hclwrite.Format` does: two-space indents by
nesting, one space around `=` and before `{`, `=` aligned in runs of one-line attributes; heredoc
bodies and comments are left as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from counterstack.terragrunt.hcl import outside_strings

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_-]*)\s*$")


def hcl_string(text: str) -> str:
    """A quoted HCL string literal (templates escaped, so the text stays literal)."""
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted.replace("${", "$${").replace("%{", "%%{")


def hcl_value(value: Any, indent: int = 0) -> str:
    """One value as hclwrite writes it at `indent` (objects spread over lines)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(hcl_value(item, indent) for item in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = hcl_body(value, indent=indent + 2)
        return "{\n" + "\n".join(inner) + "\n" + " " * indent + "}"
    raise TypeError(f"no HCL form for {type(value).__name__}")


def _key(key: str) -> str:
    return key if _IDENTIFIER.match(key) else hcl_string(key)


def hcl_body(values: Mapping[str, Any], indent: int = 0, single_line: bool = False) -> Any:
    """Attribute lines for `values` (keys sorted); `single_line`: Terragrunt's `{a="x",b=1}`."""
    if single_line:
        return "{" + ",".join(f"{key}={_single(values[key])}" for key in sorted(values)) + "}"
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(key) for key, _ in run), default=0)
        lines.extend(f"{' ' * indent}{key.ljust(width)} = {text}" for key, text in run)
        run.clear()

    for key in sorted(values):
        text = hcl_value(values[key], indent)
        if "\n" in text:
            flush()
            lines.append(f"{' ' * indent}{_key(key)} = {text}")
        else:
            run.append((_key(key), text))
    flush()
    return lines


def _single(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return hcl_body(value, single_line=True)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_single(item) for item in value) + "]"
    return hcl_value(value)


def _depth_change(line: str) -> tuple[int, int]:
    """(closers at the line's start, net bracket change) outside strings and comments."""
    leading, net, counting_leading = 0, 0, True
    for index, char in outside_strings(line):
        if char == "#" or line.startswith("//", index):
            break
        if char in "}])":
            net -= 1
            leading += counting_leading
            continue
        if char in "{[(":
            net += 1
        if not char.isspace():
            counting_leading = False
    return leading, net


def _equals(line: str) -> int | None:
    """Index of an attribute's `=` (not `==`, `=>`, `<=`...), outside strings, else None."""
    for index, char in outside_strings(line):
        if char in "{[(#":
            return None
        if char == "=":
            around = line[index - 1 : index] + line[index + 1 : index + 2]
            return None if any(c in "=<>!" for c in around) else index
    return None


def format_hcl(text: str) -> str:
    """`text` laid out as hclwrite.Format would: indents, spacing, aligned `=`."""
    out: list[str] = []
    run: list[tuple[int, str, str]] = []  # indent, key, value of one-line attributes
    depth, heredoc = 0, None

    def flush() -> None:
        width = max((len(key) for _, key, _ in run), default=0)
        out.extend(f"{' ' * pad}{key.ljust(width)} = {value}" for pad, key, value in run)
        run.clear()

    for raw in text.split("\n"):
        if heredoc is not None:
            out.append(raw)
            if raw.strip() == heredoc:
                heredoc = None
            continue
        line = raw.strip()
        leading, net = _depth_change(line)
        pad = 2 * max(depth - leading, 0)
        depth = max(depth + net, 0)
        equals = _equals(line)
        if line.endswith("{") and equals is None:
            line = re.sub(r"\s*\{$", " {", line)
        if equals is not None:
            key, value = line[:equals].strip(), line[equals + 1 :].strip()
            if net == 0 and not line.startswith(("#", "//")) and not _HEREDOC.search(value):
                run.append((pad, key, value))
                continue
            line = f"{key} = {value}"
        flush()
        out.append(f"{' ' * pad}{line}" if line else "")
        if match := _HEREDOC.search(line):
            heredoc = match[1]
    flush()
    return "\n".join(out)
