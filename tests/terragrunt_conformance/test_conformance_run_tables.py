"""The run part's tables: the run --all queue (`queue_order.json`) against the runner's queue,
and inputs turned into `TF_VAR_*` (`inputs_env_vars.json`) against the runner's encoding.
"""

from pathlib import Path
from typing import Any

import pytest
from conformance_data import require_data, skip_module_without_data, table_rows

from counterstack.terragrunt.run.queue import DependencyCycleError, Queue
from counterstack.terragrunt.run.tf_vars import tf_var_env

pytestmark = pytest.mark.live
skip_module_without_data()


def _queue(row: dict[str, Any], **options: Any) -> Queue:
    return Queue(row["units"], destroy=row["command"] == "destroy", **options)


def _options(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Each combination of the row's options (a list value is checked once per value)."""
    combos: list[dict[str, Any]] = [{}]
    for key, value in row["options"].items():
        combos = [
            {**c, key: v} for c in combos for v in (value if isinstance(value, list) else [value])
        ]
    return combos


def check_queue_row(row: dict[str, Any], options: dict[str, Any]) -> None:
    expected = row["expected"]
    if expected.get("error") == "cycle":
        with pytest.raises(DependencyCycleError, match="Found a dependency cycle between modules"):
            _queue(row, **options)
        return
    queue = _queue(row, **options)
    if "queue_order" in expected:
        assert queue.order == expected["queue_order"]
    if "length" in expected:
        assert len(queue.order) == expected["length"]
    for name, (low, high) in expected.get("positions", {}).items():
        assert low <= queue.order.index(name) <= high, (name, queue.order)
    for wave in expected.get("ready_sequence", []):
        ready = queue.ready()
        if "ready" in wave:
            assert ready == wave["ready"]
        else:
            assert sorted(ready) == sorted(wave["ready_set"])
        for name in wave.get("then_succeed", []):
            queue.start(name)
            queue.succeed(name)
    if "processed" in expected:
        processed = []
        while ready := queue.ready():
            for name in ready:
                queue.start(name)
                queue.succeed(name)
                processed.append(name)
        assert processed == expected["processed"]
    if "after" in expected:
        for name in expected["after"].get("succeed", []):
            queue.start(name)
            queue.succeed(name)
        queue.start(expected["after"]["fail"])
        queue.fail(expected["after"]["fail"])
        statuses = {name: queue.status(name) for name in expected["statuses"]}
        assert statuses == expected["statuses"]
        if "ready" in expected:
            assert queue.ready() == expected["ready"]
    if "ready_initially_count" in expected:
        assert len(queue.ready()) == expected["ready_initially_count"]


@pytest.mark.parametrize("row", table_rows("queue_order"), ids=lambda row: row["id"])
def test_queue_order(row: dict[str, Any]):
    require_data()
    for options in _options(row):
        check_queue_row(row, options)


def _module_dir(row: dict[str, Any], tmp_path: Path) -> Path:
    """The module the inputs go to: the row's files, or variables declared as it says."""
    module = tmp_path / "module"
    module.mkdir()
    for name, text in (row.get("module_files") or {}).items():
        (module / name).write_text(text)
    declared = row.get("declared_parse_mode") or {}
    if declared:
        (module / "variables.tf").write_text(
            "".join(f'variable "{name}" {{\n  type = any\n}}\n' for name in declared)
        )
    return module


@pytest.mark.parametrize("row", table_rows("inputs_env_vars"), ids=lambda row: row["id"])
def test_inputs_env_vars(row: dict[str, Any], tmp_path: Path):
    require_data()
    env = tf_var_env(row["inputs"], row["env_before"], _module_dir(row, tmp_path))
    assert env == row["expected"]


def test_the_run_tables_are_whole():
    require_data()
    counts = [
        len(table_rows(name)) for name in ("queue_order", "inputs_env_vars", "backend_bootstrap")
    ]
    assert counts == [18, 24, 33]
