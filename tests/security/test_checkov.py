"""checkov over modules/, examples/ and live/ with the checked-in .checkov.yaml: measured, gated.

The scan is the one CI runs (`checkov --config-file .checkov.yaml`), in checkov's own virtual
environment (`.venv-checkov`, or env COUNTERSTACK_CHECKOV): no failed check, every skip declared
in the resource it skips with a one-line reason, figures written to
artifacts/security/checkov-summary.json. Without checkov the tests skip, unless
COUNTERSTACK_REQUIRE_CHECKOV=1 (CI) makes that a failure. A planted finding proves the gate bites.
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from run_cache import once_per_run

from counterstack.paths import REPO_ROOT

pytestmark = [pytest.mark.modules, pytest.mark.slow]  # the scan: 15 s

CONFIG = REPO_ROOT / ".checkov.yaml"
SCANNED = ("modules", "examples", "live")
SUMMARY_FILE = REPO_ROOT / "artifacts" / "security" / "checkov-summary.json"
NO_REASON = "No comment provided"  # what checkov records for a skip without ":reason"
_SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(?P<ids>[A-Za-z_\d,-]+)(?::(?P<reason>[^\n]*))?")


def checkov_binary() -> str:
    """checkov of COUNTERSTACK_CHECKOV or .venv-checkov; skip (or fail, in CI) without one."""
    configured = os.environ.get("COUNTERSTACK_CHECKOV")
    candidate = Path(configured) if configured else REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    reason = (
        f"checkov not found at {candidate} (python3 -m venv .venv-checkov && "
        ".venv-checkov/bin/pip install 'checkov>=3.2,<4', or set COUNTERSTACK_CHECKOV)"
    )
    if os.environ.get("COUNTERSTACK_REQUIRE_CHECKOV") == "1":
        pytest.fail(f"COUNTERSTACK_REQUIRE_CHECKOV=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class Result:
    """One check on one resource instance, as one scanned directory reports it."""

    directory: str  # the scanned directory (modules, examples, live)
    check_id: str
    check_name: str
    outcome: str  # passed | failed | skipped
    resource: str  # e.g. aws_lambda_function.this, or module.lambda.aws_lambda_function.this
    file: str  # relative to the scanned tree's top
    lines: tuple[int, int]
    reason: str | None


@dataclass(frozen=True)
class Scan:
    returncodes: dict[str, int]
    results: frozenset[Result]
    version: str
    parsing_errors: int
    stderr: str

    def outcome(self, outcome: str) -> list[Result]:
        chosen = (r for r in self.results if r.outcome == outcome)
        return sorted(chosen, key=lambda r: (r.directory, r.file, r.lines, r.check_id, r.resource))


def configured_directories() -> list[str]:
    directories = yaml.safe_load(CONFIG.read_text())["directory"]
    assert sorted(directories) == sorted(SCANNED), f"{CONFIG.name} scans {directories}"
    return directories


def json_documents(text: str) -> Iterator[Any]:
    """checkov prints one JSON document per report, back to back."""
    decoder = json.JSONDecoder()
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return
        document, index = decoder.raw_decode(text, index)
        yield document


def run_checkov(binary: str, top: Path) -> Scan:
    """The CI command's configuration from `top`, one checkov per configured directory.

    Given several directories, checkov 3.3 prints one report per directory but each report
    repeats the previous ones, with module instances renamed to the bare resource: one process
    per directory (`-d` overrides the configuration's list) keeps every result attributable.
    The processes run side by side.
    """
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}  # no version check on pypi.org
    processes = {
        directory: subprocess.Popen(
            [binary, "--config-file", str(CONFIG), "--directory", directory, "--output", "json"],
            cwd=top,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for directory in configured_directories()
    }
    results: set[Result] = set()
    versions: set[str] = set()
    parsing_errors = 0
    returncodes: dict[str, int] = {}
    stderr = []
    for directory, process in processes.items():
        stdout, errors = process.communicate(timeout=300)
        returncodes[directory] = process.returncode
        stderr.append(errors)
        assert stdout.strip(), f"checkov printed no report for {directory}:\n{errors}"
        for document in json_documents(stdout):
            for report in document if isinstance(document, list) else [document]:
                if "results" not in report:  # nothing of the framework here (live/: .hcl only)
                    continue
                summary = report["summary"]
                versions.add(summary["checkov_version"])
                parsing_errors += summary["parsing_errors"]
                for outcome in ("passed", "failed", "skipped"):
                    for check in report["results"][f"{outcome}_checks"]:
                        results.add(
                            Result(
                                directory=directory,
                                check_id=check["check_id"],
                                check_name=check["check_name"],
                                outcome=outcome,
                                resource=check["resource"],
                                file=Path(check["file_abs_path"]).relative_to(top).as_posix(),
                                lines=tuple(check["file_line_range"]),
                                reason=(check.get("check_result") or {}).get("suppress_comment"),
                            )
                        )
    assert len(versions) == 1, f"reports of several checkov versions: {versions}"
    return Scan(returncodes, frozenset(results), versions.pop(), parsing_errors, "".join(stderr))


def skip_problems(scan: Scan, top: Path) -> list[str]:
    """Skips without a reason, or whose `#checkov:skip=ID:reason` is not in the resource's block."""
    problems = []
    for result in scan.outcome("skipped"):
        where = f"{result.check_id} on {result.resource} ({result.file}:{result.lines[0]})"
        if not result.reason or not result.reason.strip() or result.reason == NO_REASON:
            problems.append(f"{where}: skipped without a reason")
            continue
        first, last = result.lines
        block = (top / result.file).read_text().splitlines()[first - 1 : last]
        declared = [
            (m["reason"] or "").strip()
            for line in block
            if (m := _SKIP_COMMENT.search(line)) and result.check_id in m["ids"].split(",")
        ]
        if result.reason.strip() not in declared:
            problems.append(f"{where}: the skip and its reason are not declared in the block")
    return problems


def summary(scan: Scan) -> dict[str, Any]:
    """The figures, and each skip once per declaration (a module scanned twice skips twice)."""
    declarations: dict[tuple[str, str, int], dict[str, Any]] = {}
    for result in scan.outcome("skipped"):
        key = (result.file, result.check_id, result.lines[0])
        entry = declarations.setdefault(
            key,
            {
                "check_id": result.check_id,
                "check_name": result.check_name,
                "file": result.file,
                "line": result.lines[0],
                "reason": result.reason,
                "resources": [],
            },
        )
        entry["resources"] = sorted([*entry["resources"], result.resource])
    return {
        "checkov_version": scan.version,
        "config": CONFIG.name,
        "directories": list(SCANNED),
        "passed": len(scan.outcome("passed")),
        "failed": len(scan.outcome("failed")),
        "skipped": len(scan.outcome("skipped")),
        "parsing_errors": scan.parsing_errors,
        "by_directory": {
            directory: {
                outcome: sum(
                    1 for r in scan.results if (r.directory, r.outcome) == (directory, outcome)
                )
                for outcome in ("passed", "failed", "skipped")
            }
            for directory in SCANNED
        },
        "passed_checks": sorted({f"{r.check_id} {r.check_name}" for r in scan.outcome("passed")}),
        "skip_declarations": sorted(declarations.values(), key=lambda d: (d["file"], d["line"])),
        "failures": [
            {"check_id": r.check_id, "resource": r.resource, "file": f"{r.file}:{r.lines[0]}"}
            for r in scan.outcome("failed")
        ],
    }


@pytest.fixture(scope="module")
def checkov() -> str:
    return checkov_binary()


@pytest.fixture(scope="module")
def scan(checkov: str, run_root: Path) -> Scan:
    """The repository's scan, made once per run and read by every worker that needs it."""
    return once_per_run(run_root, "security-checkov", lambda: run_checkov(checkov, REPO_ROOT))


def test_checkov_is_a_current_release(scan):
    major, minor = (int(part) for part in scan.version.split(".")[:2])
    assert (major, minor) >= (3, 2) and major < 4, f"checkov {scan.version}: want >=3.2,<4"


def test_no_check_fails(scan):
    failures = [
        f"{r.check_id} {r.check_name}: {r.resource} ({r.file}:{r.lines[0]})"
        for r in scan.outcome("failed")
    ]
    assert failures == [], "fix these, or skip in the block with a reason:\n" + "\n".join(failures)
    assert set(scan.returncodes.values()) == {0}, scan.stderr
    assert scan.parsing_errors == 0


def test_every_skip_is_declared_in_its_block_with_a_reason(scan):
    assert skip_problems(scan, REPO_ROOT) == []
    config = CONFIG.read_text()
    assert not re.search(r"^\s*(skip-check|soft-fail|soft-fail-on|skip-path)\s*:", config, re.M), (
        ".checkov.yaml must not skip checks or paths: skips live in the .tf, with their reason"
    )


def test_scan_covers_every_resource_of_the_modules_and_the_example(scan):
    """Not a vacuous pass: each module's resources are checked, directly and via the example."""
    checked = {(r.file, r.resource.split("[")[0]) for r in scan.results}
    assert {r.directory for r in scan.results} == {"modules", "examples"}  # live/: no .tf
    expected = {
        ("modules/dynamodb/main.tf", "aws_dynamodb_table.this"),
        ("modules/lambda/main.tf", "aws_iam_role.this"),
        ("modules/lambda/main.tf", "aws_iam_role_policy.this"),
        ("modules/lambda/main.tf", "aws_cloudwatch_log_group.this"),
        ("modules/lambda/main.tf", "aws_lambda_function.this"),
        ("modules/http-api/main.tf", "aws_apigatewayv2_api.this"),
        ("modules/http-api/main.tf", "aws_apigatewayv2_route.this"),
        ("modules/http-api/main.tf", "aws_apigatewayv2_stage.this"),
        ("modules/http-api/main.tf", "aws_cloudwatch_log_group.access"),
        ("modules/http-api/main.tf", "aws_lambda_permission.this"),
    }
    missing = {
        (file, f"{prefix}{resource}")
        for file, resource in expected
        for prefix in ("", f"module.{file.split('/')[1].replace('-', '_')}.")
    } - checked
    assert missing == set(), f"checkov did not check: {sorted(missing)}"


def test_figures_are_reported(scan):
    figures = summary(scan)
    SUMMARY_FILE.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY_FILE.write_text(json.dumps(figures, indent=2) + "\n")
    print(
        f"checkov {figures['checkov_version']}: passed {figures['passed']}, "
        f"skipped {figures['skipped']} ({len(figures['skip_declarations'])} declarations), "
        f"failed {figures['failed']} -> {SUMMARY_FILE.relative_to(REPO_ROOT)}"
    )
    assert figures["passed"] > 0
    assert figures["skipped"] == sum(len(d["resources"]) for d in figures["skip_declarations"])


def test_gate_fails_on_a_planted_finding_and_a_skip_without_reason(checkov, tmp_path):
    """Same config, same command, on a copy with a table without PITR and a reasonless skip."""
    for name in SCANNED:
        shutil.copytree(REPO_ROOT / name, tmp_path / name)
    table = tmp_path / "modules" / "dynamodb" / "main.tf"
    pitr = re.compile(r"\n  point_in_time_recovery \{.*?\n  \}\n", re.S)
    text, removed = pitr.subn("\n", table.read_text())
    assert removed == 1
    table.write_text(text)
    function = tmp_path / "modules" / "lambda" / "main.tf"
    text, removed = re.subn(r"(#checkov:skip=CKV_AWS_116):[^\n]*", r"\1", function.read_text())
    assert removed == 1
    function.write_text(text)

    planted = run_checkov(checkov, tmp_path)

    assert planted.returncodes["modules"] != 0
    assert planted.returncodes["examples"] != 0
    assert {(r.check_id, r.resource) for r in planted.outcome("failed")} == {
        ("CKV_AWS_28", "aws_dynamodb_table.this"),
        ("CKV_AWS_28", "module.dynamodb.aws_dynamodb_table.this"),
    }
    problems = skip_problems(planted, tmp_path)
    assert len(problems) == 2, problems  # the module, and its instance in the example
    assert all("CKV_AWS_116" in p and "without a reason" in p for p in problems), problems
