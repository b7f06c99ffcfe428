"""Several module plans in one Terraform plan, split back into one PlanSummary each.

Each Terraform command spends ~2 s of CPU loading the aws provider's schema before it plans a
single resource, so a plan costs ~4.5 s (plan + show) whatever it holds. `batched_plans` writes
one root with a `module "<variant>"` block per input set, plans it once, and hands back for each
variant the summary its module would have had planned alone: addresses without the
`module.<variant>.` prefix, the module's outputs, its configuration and data sources.

What differs from a plan of the module alone: the inputs are module arguments rather than root
variables (the same type conversion and validation), and a failing variant fails the batch, so
plans expected to fail (`plan_error`) are made one at a time.

`batched_variable_errors` does the same for validation rules: the module's `variables.tf` called
once per input set from one root, so one `init` and one `plan` (no provider) judge them all, and
each error is handed to the input set whose module block it names. Rules that read another
variable are checked only when no plain rule failed anywhere in the plan, so the sets that came
back clean are judged again together: two plans in all.
"""

import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tftest

from counterstack.credentials import DEFAULT_REGION
from counterstack.harness.plan import (
    COPY_IGNORE,
    PROVIDER_FILE,
    PlanError,
    PlanSummary,
    show_plan,
    summarise,
    terraform_output,
)
from counterstack.harness.provider_process import SharedProvider
from counterstack.local.provider import provider_override
from counterstack.paths import MODULES_DIR
from counterstack.terraform_cli import apply_terraform_env

BATCH_DIR = "batch"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_ADDRESS_KEYS = ("address", "module_address", "previous_address")

Variant = tuple[Path, Mapping[str, Any]]
"""A module's folder (under modules/) and the inputs to plan it with."""


def literal(value: Any) -> Any:
    """`value` as a literal in Terraform's JSON syntax, where strings (and keys) are templates."""
    if isinstance(value, str):
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return [literal(item) for item in value]
    if isinstance(value, dict):
        return {literal(key): literal(item) for key, item in value.items()}
    return value


def batch_root(variants: Mapping[str, Variant], tmp_dir: Path, region: str) -> Path:
    """A root under `tmp_dir` calling each variant's module, beside a copy of modules/."""
    shutil.copytree(MODULES_DIR, tmp_dir / MODULES_DIR.name, ignore=COPY_IGNORE)
    modules: dict[str, Any] = {}
    for name, (module_dir, inputs) in variants.items():
        module_dir = Path(module_dir).resolve()
        if not _NAME.match(name):
            raise ValueError(f"variant {name!r}: use a Terraform name ([A-Za-z_][A-Za-z0-9_-]*)")
        if module_dir.parent != MODULES_DIR.resolve():
            raise ValueError(f"variant {name!r}: {module_dir} is not a module under {MODULES_DIR}")
        source = f"../../{MODULES_DIR.name}/{module_dir.name}"
        modules[name] = {"source": source, **literal(dict(inputs))}
    outputs = {name: {"value": f"${{module.{name}}}", "sensitive": True} for name in variants}
    root = tmp_dir / BATCH_DIR / "root"
    root.mkdir(parents=True)
    (root / "main.tf.json").write_text(json.dumps({"module": modules, "output": outputs}, indent=2))
    (root / PROVIDER_FILE).write_text(provider_override(None, region=region))
    return root


def _unprefixed(node: Any, prefix: str) -> Any:
    """A copy of a plan fragment with `prefix` (`module.<variant>`) taken off its addresses."""
    if isinstance(node, list):
        return [_unprefixed(item, prefix) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {}
    for key, value in node.items():
        if key in _ADDRESS_KEYS and isinstance(value, str):
            if value == prefix:
                continue  # the variant's own module address: its content is now the root
            if value.startswith(prefix + "."):
                value = value[len(prefix) + 1 :]
        copy[key] = _unprefixed(value, prefix)
    return copy


def _child(module: Mapping[str, Any], address: str) -> Mapping[str, Any]:
    for child in module.get("child_modules", []):
        if child.get("address") == address:
            return child
    return {}


def _has_unknown(after_unknown: Any) -> bool:
    if isinstance(after_unknown, dict):
        return any(_has_unknown(value) for value in after_unknown.values())
    if isinstance(after_unknown, list):
        return any(_has_unknown(value) for value in after_unknown)
    return after_unknown is True


def variant_plan(raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The part of a batch's `show -json` that is variant `name`, shaped as the plan of its
    module alone (what `summarise` reads)."""
    prefix = f"module.{name}"
    config = raw["configuration"]["root_module"]["module_calls"][name]["module"]
    change = raw.get("output_changes", {}).get(name, {})
    after, unknown = change.get("after") or {}, change.get("after_unknown") or {}
    outputs = {}
    for output in config.get("outputs", {}):
        output_unknown = unknown.get(output) if isinstance(unknown, dict) else unknown
        # As in a plan of the module alone: an output not wholly known has no "value"
        outputs[output] = {} if _has_unknown(output_unknown) else {"value": after.get(output)}
    planned = _child(raw.get("planned_values", {}).get("root_module", {}), prefix)
    prior = _child(raw.get("prior_state", {}).get("values", {}).get("root_module", {}), prefix)
    changes = [
        change
        for change in raw.get("resource_changes", [])
        if change["address"].startswith(prefix + ".")
    ]
    return {
        "planned_values": {"root_module": _unprefixed(planned, prefix), "outputs": outputs},
        "prior_state": {"values": {"root_module": _unprefixed(prior, prefix)}},
        "resource_changes": _unprefixed(changes, prefix),
        "configuration": {"root_module": config},
    }


def batched_plans(
    variants: Mapping[str, Variant],
    tmp_dir: Path | str,
    *,
    endpoint: str | None = None,
    provider: SharedProvider | None = None,
    provider_region: str = DEFAULT_REGION,
) -> dict[str, PlanSummary]:
    """Plan every variant in one Terraform plan; one PlanSummary per variant, as if alone.

    A plan that fails raises PlanError with Terraform's messages (naming the variant's module
    block). `provider`, if given, must have been started with `endpoint` as AWS_ENDPOINT_URL.
    """
    root = batch_root(variants, Path(tmp_dir), provider_region)
    raw = show_plan(root, ", ".join(variants), endpoint=endpoint, provider=provider)
    return {name: summarise(variant_plan(raw, name)) for name in variants}


_ERROR_BLOCK = re.compile(r"^Error: ", re.MULTILINE)
_IN_MODULE = re.compile(r", in module\.(?P<name>[A-Za-z0-9_-]+):")


def batched_variable_errors(
    module_dir: Path | str, cases: Mapping[str, Mapping[str, Any]], tmp_dir: Path | str
) -> dict[str, str]:
    """Terraform's errors for each input set checked against the module's variable declarations:
    by case, "" where every value passes.

    Validation rules can only read the variables, so planning `variables.tf` alone evaluates
    exactly the rules a full plan would, with no provider to start."""
    apply_terraform_env()
    root = Path(tmp_dir) / "validation"
    (root / "variables").mkdir(parents=True)
    shutil.copy(Path(module_dir) / "variables.tf", root / "variables" / "variables.tf")
    blocks = {f"case_{n}": case for n, case in enumerate(cases)}  # any case name, valid blocks
    modules = {
        block: {"source": "./variables", **literal(dict(cases[case]))}
        for block, case in blocks.items()
    }
    (root / "main.tf.json").write_text(json.dumps({"module": modules}, indent=2))
    tf = tftest.TerraformTest(str(root), binary="terraform")
    errors = {case: "" for case in cases}
    try:
        tf.setup(cleanup_on_exit=False)
        tf.plan()
        return errors
    except tftest.TerraformTestError as error:
        output = terraform_output(error)
    starts = [match.start() for match in _ERROR_BLOCK.finditer(output)]
    if not starts:
        raise PlanError(f"terraform plan failed without an error block:\n{output}", output)
    for start, end in zip(starts, [*starts[1:], len(output)], strict=True):
        text = output[start:end]
        where = _IN_MODULE.search(text)
        if where is None or where["name"] not in blocks:
            raise PlanError(f"an error no case explains:\n{text}", output)
        errors[blocks[where["name"]]] += text
    # Terraform checks rules that read other variables only once every plain rule of the plan
    # passed: another case's error hides them. The cases that came back clean are judged again
    # on their own, where nothing can hide them.
    clean = {case: cases[case] for case, text in errors.items() if not text}
    if clean:
        errors |= batched_variable_errors(module_dir, clean, Path(tmp_dir) / "clean")
    return errors
