"""Every table row of the conformance set: Terragrunt's functions and codegen, one call each."""

import os
from pathlib import Path
from typing import Any

import pytest
from conformance_data import (
    UNSUPPORTED,
    equal,
    require_data,
    skip_module_without_data,
    table_rows,
)

from counterstack.terragrunt.codegen import (
    backend_config,
    init_args,
    render_backend,
    write_generated,
)
from counterstack.terragrunt.config import Context, Run, find_in_parent_folders
from counterstack.terragrunt.errors import ParentFileNotFoundError
from counterstack.terragrunt.expressions import EvaluationError

pytestmark = pytest.mark.live
skip_module_without_data()


def rows(name: str) -> list[Any]:
    return [pytest.param(row, id=row["id"]) for row in table_rows(name)]


def skip_unsupported(row: dict[str, Any]) -> None:
    require_data()
    if row["id"] in UNSUPPORTED:
        pytest.skip(f"not claimed: {UNSUPPORTED[row['id']]}")


@pytest.mark.parametrize("row", rows("find_in_parent_folders"))
def test_find_in_parent_folders(row: dict[str, Any], tmp_path: Path):
    skip_unsupported(row)
    root = tmp_path.resolve()
    for name in row["tree"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    for name in row.get("create_dirs", []):
        (root / name).mkdir(parents=True, exist_ok=True)
    config_path = row["config_path"] if row.get("from_is_absolute") else root / row["config_path"]
    search = lambda: find_in_parent_folders(  # noqa: E731
        config_path, *row["args"], max_folders=row.get("max_folders_to_check", 100)
    )
    expected = row["expected"]
    if isinstance(expected, dict) and "error" in expected:
        with pytest.raises(ParentFileNotFoundError):
            search()
    elif isinstance(expected, dict):
        assert search() == expected["literal"]
    else:
        assert search() == str(root / expected)


@pytest.mark.parametrize("row", rows("path_relative_to_include"))
def test_path_relative_to_and_from_include(row: dict[str, Any]):
    skip_unsupported(row)
    config_path = Path(row["config_path"])
    includes = {
        label: Path(os.path.normpath(os.path.join(config_path.parent, path)))
        for label, path in row["includes"].items()
    }
    context = Context(Run(env={}), config_path, config_path.parent, includes)
    assert context.functions(None)[row["function"]](*row["args"]) == row["expected"]


@pytest.mark.parametrize("row", rows("backend_codegen"))
def test_backend_codegen(row: dict[str, Any]):
    skip_unsupported(row)
    expected = row["expected"]
    if row["kind"] == "s3_filter":
        filtered = backend_config("s3", row["config"])
        if "backend_config" in expected:
            assert equal(filtered, expected["backend_config"])
        else:
            assert not equal(filtered, expected["backend_config_not_equal"])
    elif row["kind"] == "s3_init_args":
        assert sorted(init_args(row["backend"], row["config"])) == sorted(
            expected["init_args_unordered"]
        )
    elif expected.get("error"):
        with pytest.raises(EvaluationError):
            render_backend(row["backend"], row["config"], row["encryption"])
    else:
        body = render_backend(row["backend"], row["config"], row["encryption"])
        if "body" in expected:
            assert body == expected["body"]
        for fragment in expected.get("body_contains", []):
            assert fragment in body


# A generate block's fields as upstream's unit tests build it: Go's zero values where unset.
ZERO_VALUES = {
    "comment_prefix": "",
    "disable_signature": False,
    "disable": False,
    "hcl_fmt": None,
    "if_disabled": "skip",
}


@pytest.mark.parametrize("row", rows("generate_codegen"))
def test_generate_codegen(row: dict[str, Any], tmp_path: Path):
    skip_unsupported(row)
    config = {**ZERO_VALUES, **row["config"]}
    target = tmp_path / config["path"]
    if row["existing_file"] is not None:
        target.write_text(row["existing_file"])
    expected = row["expected"]
    if "error" in expected:
        with pytest.raises(EvaluationError) as raised:
            write_generated(tmp_path, config)
        assert type(raised.value).__name__ == expected["error"]
    else:
        write_generated(tmp_path, config)
    if "file" in expected:
        assert target.read_text() == expected["file"]
    if expected.get("file_absent"):
        assert not target.exists()
    if expected.get("file_exists"):
        assert target.exists()
    for fragment in expected.get("file_contains", []):
        assert fragment in target.read_text()
    for fragment in expected.get("file_not_contains", []):
        assert fragment not in target.read_text()
