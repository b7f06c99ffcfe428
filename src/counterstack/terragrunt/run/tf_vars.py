"""Inputs handed to Terraform as Terragrunt hands them: `TF_VAR_<name>` environment variables.

Strings go raw, everything else as compact JSON with sorted keys. Terraform parses a `TF_VAR_`
value as HCL when its variable has a type other than bare `string` (and always for a JSON-looking
complex value), so there `${` becomes `$${` (an existing `$${` is left alone). A variable already
in the environment wins. A null cannot be an environment variable: it goes into a tfvars file
of its own in the working directory, removed after the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from counterstack.terragrunt.hcl import blocks, load_hcl

NULL_VARS_FILE = ".terragrunt-null-vars.auto.tfvars.json"
_INTERPOLATION = re.compile(r"(?<!\$)\$\{")
_LITERAL_TYPES = (None, "string", "${string}")


def _escape(text: str) -> str:
    return _INTERPOLATION.sub("$${", text)


def hcl_parsed_variables(module_dir: Path | None) -> set[str]:
    """Variables of the module whose `TF_VAR_` value Terraform parses as HCL (typed, not string);
    none when the module cannot be read (Terraform will say why)."""
    if module_dir is None or not Path(module_dir).is_dir():
        return set()
    found: set[str] = set()
    for tf in sorted(Path(module_dir).glob("*.tf")):
        try:
            variables = blocks(load_hcl(tf), "variable")
        except Exception:  # an unparseable module: Terraform reports it, not us
            return set()
        found |= {
            name for name, body in variables.items() if body.get("type") not in _LITERAL_TYPES
        }
    return found


def encode(value: Any, *, parsed_as_hcl: bool) -> str:
    """One input's `TF_VAR_` text."""
    if isinstance(value, str):
        return _escape(value) if parsed_as_hcl else value
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return _escape(text) if isinstance(value, Mapping | list | tuple) else text


def tf_var_env(
    inputs: Mapping[str, Any], env: Mapping[str, str], module_dir: Path | None = None
) -> dict[str, str]:
    """`env` with a `TF_VAR_` for each non-null input not already set there."""
    hcl_parsed = hcl_parsed_variables(module_dir)
    result = dict(env)
    for name, value in inputs.items():
        key = f"TF_VAR_{name}"
        if value is None or key in result:
            continue
        result[key] = encode(value, parsed_as_hcl=name in hcl_parsed)
    return result


def write_null_vars(inputs: Mapping[str, Any], workdir: Path) -> Path | None:
    """The tfvars file for null inputs, or None when there are none."""
    nulls = {name: None for name, value in inputs.items() if value is None}
    if not nulls:
        return None
    path = Path(workdir) / NULL_VARS_FILE
    path.write_text(json.dumps(nulls))
    return path
