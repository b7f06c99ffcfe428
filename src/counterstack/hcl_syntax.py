"""HCL text written from Python values: the one escaper for every HCL file this project writes.

JSON's string escapes are HCL's, and a JSON number, bool or null is HCL's too. What JSON lacks is
HCL's templates: `${` and `%{` inside a quoted string would be evaluated, so they are written as
`$${` and `%%{`, which HCL reads as the literal text.
"""

from __future__ import annotations

import json
from typing import Any


def hcl_string(value: str) -> str:
    """A quoted HCL string: JSON escapes, plus template sequences made literal."""
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def hcl_value(value: Any) -> str:
    """A JSON-encodable value as HCL on one line (objects as `{ "key" = value, ... }`)."""
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, dict):
        body = ", ".join(
            f"{hcl_string(str(key))} = {hcl_value(item)}" for key, item in value.items()
        )
        return "{ " + body + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(hcl_value(item) for item in value) + "]"
    return json.dumps(value)
