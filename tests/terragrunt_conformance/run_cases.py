"""The run part of the conformance set (`runs/`): cases that run Terragrunt commands one after
another in one tree, and what Terragrunt's tests assert about each step (README "Run semantics").
"""

import glob
import json
import os
import shutil
from pathlib import Path
from typing import Any

from conformance_data import DATA, equal

RUNS = DATA / "runs"
TMP = "${TMP}"
# Variables a case's clean environment keeps: where programs are, and what Terraform needs to run.
KEPT_ENV = ("PATH", "HOME", "TMPDIR", "LANG", "TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR")


def run_ids() -> list[str]:
    return (
        sorted(p.name for p in RUNS.iterdir() if (p / "case.json").is_file())
        if RUNS.is_dir()
        else []
    )


def load_run(case_id: str) -> dict[str, Any]:
    return json.loads((RUNS / case_id / "case.json").read_text())


def lay_out_run(case_id: str, tmp_path: Path) -> Path:
    root = (tmp_path / "case").resolve()
    shutil.copytree(RUNS / case_id / "tree", root)
    return root


def clean_env(case: dict[str, Any]) -> dict[str, str]:
    """Exactly the case's `env` on top of a clean environment (no TF_VAR_*, TG_*, FROM_ENV)."""
    return {**{k: os.environ[k] for k in KEPT_ENV if k in os.environ}, **case.get("env", {})}


def placeholders(value: Any, tmp: Path) -> Any:
    if isinstance(value, str):
        return value.replace(TMP, str(tmp))
    if isinstance(value, list):
        return [placeholders(v, tmp) for v in value]
    if isinstance(value, dict):
        return {k: placeholders(v, tmp) for k, v in value.items()}
    return value


def _walk(value: Any, path: list[str]) -> tuple[bool, Any]:
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def mismatches(expect: dict[str, Any], code: int, out: str, err: str, root: Path) -> list[str]:
    """Where one step's outcome fails what upstream asserts about it."""
    found = []
    if expect.get("exit") == "zero" and code != 0:
        found.append(f"exit {code}, expected zero")
    if expect.get("exit") == "nonzero" and code == 0:
        found.append("exit 0, expected non-zero")
    streams = {"stdout": out, "stderr": err, "output": out + err, "error": err}
    for stream, text in streams.items():
        for fragment in expect.get(f"{stream}_contains", []):
            if fragment not in text:
                found.append(f"{stream} lacks {fragment!r}")
        for fragment in expect.get(f"{stream}_not_contains", []):
            if fragment in text:
                found.append(f"{stream} holds {fragment!r}")
    if "order" in expect:
        at = [err.find(name) for name in expect["order"]]
        if -1 in at or at != sorted(at):
            found.append(f"order {expect['order']} not kept in stderr (first seen at {at})")
    shown = None
    if any(k in expect for k in ("outputs", "output_values_at", "outputs_absent")):
        try:
            shown = {k: v["value"] for k, v in json.loads(out).items()}
        except (ValueError, AttributeError, KeyError):
            return [*found, f"stdout is not output -json: {out[:300]!r}"]
    for outputs in expect.get("outputs", {}).values():
        for name, value in outputs.items():
            if name not in shown or not equal(shown[name], value):
                found.append(f"output {name} = {shown.get(name)!r}, expected {value!r}")
    for checks in expect.get("output_values_at", {}).values():
        for check in checks:
            exists, value = _walk(shown, check["path"])
            if check.get("absent") and exists:
                found.append(f"{check['path']} exists ({value!r})")
            if "equals" in check and (not exists or not equal(value, check["equals"])):
                found.append(f"{check['path']} = {value!r}, expected {check['equals']!r}")
    for names in expect.get("outputs_absent", {}).values():
        found += [f"output {name} is present" for name in names if name in shown]
    for pattern in expect.get("files_exist", []):
        if not glob.glob(str(root / pattern), include_hidden=True):
            found.append(f"no file matches {pattern}")
    for pattern in expect.get("files_absent", []):
        if glob.glob(str(root / pattern), include_hidden=True):
            found.append(f"a file matches {pattern}")
    if "report" in expect:
        found += _report_mismatches(expect["report"])
    return found


def _report_mismatches(report: dict[str, Any]) -> list[str]:
    path = Path(report["file"])
    if not path.is_file():
        return [f"no report at {path}"]
    entries = {entry["Name"]: entry for entry in json.loads(path.read_text())}
    found = []
    for name, wanted in report["runs"].items():
        entry = entries.get(name)
        if entry is None:
            found.append(f"report has no {name}")
            continue
        if entry.get("Result") != wanted["Result"]:
            found.append(f"report {name}: {entry.get('Result')!r}, expected {wanted['Result']!r}")
        if wanted.get("Reason") is None and "Reason" in entry:
            found.append(f"report {name} has a Reason {entry['Reason']!r}")
        elif wanted.get("Reason") is not None and entry.get("Reason") != wanted["Reason"]:
            found.append(f"report {name}: reason {entry.get('Reason')!r}")
    return found


def remove(root: Path, patterns: list[str]) -> None:
    for pattern in patterns:
        for path in glob.glob(str(root / pattern), include_hidden=True):
            Path(path).unlink()
