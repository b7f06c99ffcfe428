"""Every case of the conformance set: a fixture tree from Terragrunt's tests, evaluated by our
reading (`terragrunt.unit`, `terragrunt.codegen`), and what Terragrunt's tests assert about it.
"""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conformance_data import (
    CASES,
    UNSUPPORTED,
    at,
    case_ids,
    declared_counts,
    equal,
    load,
    require_data,
    skip_module_without_data,
    subset_mismatches,
    substitute,
    table_rows,
)

from counterstack.terragrunt.codegen import backend_config, prepare
from counterstack.terragrunt.config import Run
from counterstack.terragrunt.expressions import EvaluationError, plain, template_string
from counterstack.terragrunt.functions import jsonencode
from counterstack.terragrunt.unit import read_config, render

pytestmark = pytest.mark.live
skip_module_without_data()

GENERATE_ERRORS = ("GenerateFileExistsError", "GenerateFileRemoveError")
TABLE_NAMES = (
    "find_in_parent_folders",
    "path_relative_to_include",
    "backend_codegen",
    "generate_codegen",
)


def lay_out(case_id: str, case: dict[str, Any], tmp_path: Path) -> Path:
    """The case's tree under a fresh folder, symlinks resolved (as upstream's temp dirs are)."""
    root = (tmp_path / "case").resolve()
    shutil.copytree(CASES / case_id / "tree", root)
    for folder in case.get("create_dirs", []):
        (root / folder).mkdir(parents=True, exist_ok=True)
    if case.get("git_init"):
        (root / ".git").mkdir()
    return root


def run_of(case: dict[str, Any], root: Path) -> Run:
    stubs = {
        (root / unit).resolve(): substitute(outputs, root)
        for unit, outputs in (case.get("dependency_outputs") or {}).items()
    }
    return Run(
        command=case["command"],
        args=tuple(case.get("args", [])),
        env=dict(case.get("env", {})),
        outputs=lambda unit_dir: stubs.get(unit_dir),
    )


def evaluate_case(case: dict[str, Any], expected: dict[str, Any], root: Path) -> dict[str, Any]:
    """What the expectations are about: the rendered config (or a read), files generated."""
    unit_dir = root / case["unit"]
    run = run_of(case, root)
    if case["kind"] == "read_terragrunt_config":
        target = root / case["read_terragrunt_config_target"]
        return {"read_terragrunt_config": plain(read_config(target, unit_dir, run))}
    config = render(unit_dir, run)
    if "generated_files" in expected or expected.get("error") in GENERATE_ERRORS:
        config["workdir"] = prepare(config, unit_dir)
    return config


def check_files(unit_dir: Path, expected: dict[str, dict[str, Any]]) -> None:
    for name, rule in expected.items():
        found = sorted(unit_dir.rglob(Path(name).name))
        found = [path for path in found if path.as_posix().endswith(name)]
        if rule.get("absent"):
            assert not found, f"{name} was generated: {found}"
            continue
        assert found, f"{name} was not generated under {unit_dir}"
        text = found[0].read_text()
        for fragment in rule.get("contains", []):
            assert fragment in text, f"{name} lacks {fragment!r}:\n{text}"
        if "json_subset" in rule:
            assert not subset_mismatches(json.loads(text), rule["json_subset"]), text


@pytest.mark.parametrize("case_id", case_ids())
def test_case(case_id: str, tmp_path: Path):
    require_data()
    if case_id in UNSUPPORTED:
        pytest.skip(f"not claimed: {UNSUPPORTED[case_id]}")
    case, expected = load(case_id)
    root = lay_out(case_id, case, tmp_path)
    expected = substitute(expected, root)
    if "error" in expected:
        with pytest.raises(EvaluationError) as raised:
            evaluate_case(case, expected, root)
        error = raised.value
        name = expected["error"]
        if " " not in name:
            assert type(error).__name__ == name, f"{type(error).__name__}: {error}"
        for fragment in expected.get("error_message_contains", [name] if " " in name else []):
            assert fragment in str(error), str(error)
        for key, value in expected.get("error_detail", {}).items():
            assert sorted(getattr(error, key)) == sorted(value)
        return
    actual = evaluate_case(case, expected, root)
    mismatches = []
    for key in ("inputs", "locals", "remote_state", "generate", "read_terragrunt_config"):
        if key in expected:
            mismatches += subset_mismatches(actual, {key: expected[key]})
    for path in expected.get("_exact", []):
        if not equal(at(actual, path), at(expected, path)):
            mismatches.append(f"{path}: {at(actual, path)!r} is not exactly {at(expected, path)!r}")
    for key, text in expected.get("inputs_json_encoded", {}).items():
        if jsonencode(actual["inputs"][key]) != text:
            mismatches.append(f"inputs.{key} encodes as {jsonencode(actual['inputs'][key])}")
    for key, text in expected.get("inputs_as_string", {}).items():
        if template_string(actual["inputs"][key]) != text:
            mismatches.append(f"inputs.{key} renders as {actual['inputs'][key]!r}")
    for path, text in expected.get("read_terragrunt_config_trimspace", {}).items():
        if at(actual["read_terragrunt_config"], path).strip() != text:
            mismatches.append(f"read_terragrunt_config.{path}: {at(actual, path)!r}")
    for key, kind in expected.get("s3_backend_config_types", {}).items():
        state = actual["remote_state"]
        value = backend_config(state["backend"], state["config"])[key]
        if type(value).__name__ != kind:
            mismatches.append(f"S3 backend {key} is {value!r}, not a {kind}")
    assert not mismatches, "\n".join(mismatches)
    check_files(root / case["unit"], expected.get("generated_files", {}))


def test_the_whole_set_is_there():
    """Absent (or cut short), the set would run nothing: that must fail, not pass quietly. The
    counts are the ones the set's README declares, so any folder in the format is checked."""
    require_data()
    rows = sum(len(table_rows(name)) for name in TABLE_NAMES)
    assert (len(case_ids()), rows) == declared_counts()
