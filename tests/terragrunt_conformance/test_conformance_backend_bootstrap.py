"""`tables/backend_bootstrap.json` against the runner and the local account's S3.

Rows about an S3 bucket run end to end: the row's argv through the runner in a small tree whose
root declares the row's remote_state (with a lock table, `use_lockfile` stands in for it and the
lock-table facts are a separate, skipped entry), then the bucket facts the row asserts are read
back with boto3. Rows about DynamoDB lock tables, `backend delete` and `backend migrate` are
skipped with that reason. The input and validation rows call the bootstrap's functions.
"""

import io
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from bootstrap_rows import (
    BACKEND_COMMANDS,
    LOCK_TABLE,
    UNIT,
    backend_command_row,
    bucket_facts,
    bucket_mismatches,
    lay_out,
    local_settings,
    lock_table_row,
    names,
    remote_state_of,
    resolve,
    terragrunt_argv,
)
from conformance_data import require_data, skip_module_without_data, table_rows

from counterstack.harness.target import local_target
from counterstack.terragrunt.run.bootstrap import (
    MissingRequiredS3RemoteStateConfig,
    bootstrap,
    logging_input,
    validate,
)
from counterstack.terragrunt.run.guard import ENDPOINT_SWITCH
from counterstack.terragrunt.run.main import terragrunt

pytestmark = pytest.mark.live
skip_module_without_data()

ROWS = table_rows("backend_bootstrap")
BY_ID = {row["id"]: row for row in ROWS}
FUNCTION_ROWS = ("logging-input-", "validate-missing-", "bucket-tags-at-creation")


def _params() -> list[Any]:
    found = []
    for row in ROWS:
        if row["id"].startswith(FUNCTION_ROWS):
            continue
        if lock_table_row(row):
            found.append(pytest.param(row, id=row["id"], marks=pytest.mark.skip(reason=LOCK_TABLE)))
        elif backend_command_row(row):
            found.append(
                pytest.param(row, id=row["id"], marks=pytest.mark.skip(reason=BACKEND_COMMANDS))
            )
        else:
            found.append(pytest.param(row, id=row["id"], marks=pytest.mark.slow))
            if "lock_table" in row["expected"]:
                found.append(
                    pytest.param(
                        row, id=f"{row['id']}:lock-table", marks=pytest.mark.skip(reason=LOCK_TABLE)
                    )
                )
    return found


@pytest.fixture(scope="module")
def endpoint():
    with local_target(region="eu-west-1") as target:
        yield str(target.endpoint)


def _s3(endpoint: str, region: str = "eu-west-1") -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _run(argv: list[str], cwd: Path, endpoint: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    env = {"PATH": os.environ["PATH"], ENDPOINT_SWITCH: endpoint}
    code = terragrunt(terragrunt_argv(argv), cwd, env, out, err)
    return code, out.getvalue() + err.getvalue()


def _check(
    expected: dict[str, Any], code: int, output: str, s3: Any, named: dict[str, str], root: Path
) -> list[str]:
    found = []
    if (code == 0) != (expected["run"] == "succeeds"):
        found.append(f"run exit {code}, expected it {expected['run']}")
    for fragment in expected.get("output_contains", []):
        if fragment.replace("<bucket>", named["<bucket>"]) not in output:
            found.append(f"output lacks {fragment!r}")
    for fragment in expected.get("output_not_contains", []):
        if fragment.replace("<bucket>", named["<bucket>"]) in output:
            found.append(f"output holds {fragment!r}")
    if "output_matches_regex" in expected and not re.search(
        expected["output_matches_regex"], output
    ):
        found.append(f"output does not match {expected['output_matches_regex']!r}")
    for key, bucket in (("bucket", named["<bucket>"]), ("logs_bucket", None)):
        if key in expected:
            name = bucket or _logs_bucket(named)
            wanted = json.loads(json.dumps(expected[key]).replace("<bucket>", named["<bucket>"]))
            found += [f"{key} {m}" for m in bucket_mismatches(bucket_facts(s3, name), wanted)]
    for pattern in expected.get("dir_absent", []):
        if list(root.glob(pattern.replace("<unit>", UNIT).replace("<hash>", "*"))):
            found.append(f"{pattern} exists")
    for pattern in expected.get("dir_exists", []):
        if not list(root.glob(pattern.replace("<unit>", UNIT).replace("<hash>", "*"))):
            found.append(f"{pattern} does not exist")
    return found


def _logs_bucket(named: dict[str, str]) -> str:
    return named["logs"]


@pytest.mark.parametrize("row", _params())
def test_bootstrap_row(row: dict[str, Any], endpoint: str, tmp_path: Path):
    require_data()
    named = names()
    state = remote_state_of(row, BY_ID)
    config = resolve(state, row["argv"], named)
    named["logs"] = str(config.get("accesslogging_bucket_name", ""))
    disable_init = bool(config.pop("disable_init", False))
    lay_out(tmp_path, {**config, **local_settings(endpoint)}, disable_init)
    s3 = _s3(endpoint)
    precondition = row["setting"].get("bucket_precondition", "")
    if precondition.startswith(("created by the test", "bucket and lock table created")):
        _s3(endpoint, config["region"]).create_bucket(
            Bucket=named["<bucket>"],
            CreateBucketConfiguration={"LocationConstraint": config["region"]},
        )
    cwd = tmp_path if "--all" in row["argv"] else tmp_path / UNIT
    code, output = _run(row["argv"], cwd, endpoint)
    found = _check(row["expected"], code, output, s3, named, tmp_path)
    then = row["expected"].get("then")
    if then and not found:
        if "change" in then:  # bucket_sse_kms_key_id -> another key, same argv again
            lay_out_again(tmp_path, {**config, **local_settings(endpoint)}, disable_init)
        argv = then["argv"] if isinstance(then.get("argv"), list) else row["argv"]
        argv = [*argv, *then.get("argv_adds", [])]
        code, output = _run(argv, cwd, endpoint)
        found += [f"then: {m}" for m in _check(then, code, output, s3, named, tmp_path)]
    assert not found, "; ".join(found) + f"\n--- output\n{output[-3000:]}"


def lay_out_again(root: Path, config: dict[str, Any], disable_init: bool) -> None:
    changed = {**config, "bucket_sse_kms_key_id": "alias/other-dedicated-test-key"}
    (root / "root.hcl").unlink()
    for path in (root / UNIT).rglob("*"):
        if path.is_file() and ".terragrunt-cache" not in path.parts:
            path.unlink()
    shutil.rmtree(root / UNIT / "m")
    lay_out(root, changed, disable_init)


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r["id"].startswith("logging-input-")], ids=lambda r: r["id"]
)
def test_logging_input(row: dict[str, Any]):
    require_data()
    given = logging_input(row["setting"]["remote_state"])
    expected = row["expected"]["put_bucket_logging"]
    assert {"Bucket": given["Bucket"], **given["BucketLoggingStatus"]} == expected


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r["id"].startswith("validate-missing-")], ids=lambda r: r["id"]
)
def test_validate_missing(row: dict[str, Any]):
    require_data()
    with pytest.raises(MissingRequiredS3RemoteStateConfig) as raised:
        validate(row["setting"]["remote_state"])
    assert str(raised.value) == row["expected"]["error_message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "row", [r for r in ROWS if r["id"] == "bucket-tags-at-creation"], ids=lambda r: r["id"]
)
def test_bucket_tags_at_creation(row: dict[str, Any], endpoint: str):
    require_data()
    bucket = names()["<bucket>"]
    config = {
        "bucket": bucket,
        "key": "k",
        "region": "eu-west-1",
        "s3_bucket_tags": row["setting"]["s3_bucket_tags"],
    }
    assert bootstrap(config, endpoint, io.StringIO())
    assert bucket_facts(_s3(endpoint), bucket)["tags"] == row["expected"]["bucket"]["tags"]
