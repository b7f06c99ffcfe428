"""The Lambda zip is reproducible and holds exactly the package's sources."""

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from counterstack.build import FIXED_DATE, build_package, package_files
from counterstack.cli import main
from counterstack.errors import CounterStackError
from counterstack.paths import LAMBDA_SOURCE

pytestmark = pytest.mark.unit


def test_two_builds_are_byte_identical(tmp_path):
    first = build_package(tmp_path / "a" / "one.zip")
    second = build_package(tmp_path / "b" / "two.zip")
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


def test_zip_holds_only_package_sources(tmp_path):
    source = tmp_path / "visitor_counter"
    shutil.copytree(LAMBDA_SOURCE, source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\0cached")
    (source / "stray.pyc").write_bytes(b"\0")
    (source / ".DS_Store").write_bytes(b"\0")
    expected = sorted(
        f"visitor_counter/{p.relative_to(LAMBDA_SOURCE).as_posix()}"
        for p in LAMBDA_SOURCE.rglob("*.py")
        if "__pycache__" not in p.parts
    )

    package = build_package(tmp_path / "out.zip", source=source)

    with zipfile.ZipFile(package.path) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == expected
    for info in infos:
        assert info.date_time == FIXED_DATE
        assert info.external_attr >> 16 == 0o100644
        assert info.compress_type == zipfile.ZIP_STORED


def test_source_changes_change_the_hash(tmp_path):
    source = tmp_path / "visitor_counter"
    shutil.copytree(LAMBDA_SOURCE, source, ignore=shutil.ignore_patterns("__pycache__"))
    before = build_package(tmp_path / "before.zip", source=source).sha256
    (source / "handler.py").write_text((source / "handler.py").read_text() + "\n# changed\n")
    assert build_package(tmp_path / "after.zip", source=source).sha256 != before


def test_not_a_package_is_a_clear_error(tmp_path):
    with pytest.raises(CounterStackError, match="not a Python package"):
        package_files(tmp_path)


FRESH_INTERPRETER = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
import boto3
from moto import mock_aws
from visitor_counter import handler
assert handler.__file__.startswith(sys.argv[1]), handler.__file__
event = {"version": "2.0", "rawPath": "/visitors",
         "requestContext": {"stage": "$default", "http": {"method": "GET", "path": "/visitors"}}}
with mock_aws():
    boto3.client("dynamodb").create_table(
        TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    print(json.dumps([handler.handler(event, None) for _ in range(2)]))
"""


def test_handler_runs_from_the_zip_in_a_fresh_interpreter(tmp_path):
    package = build_package(tmp_path / "visitor_counter.zip")
    env = {
        "PATH": "/usr/bin:/bin",
        "TABLE_NAME": "t",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    result = subprocess.run(
        [sys.executable, "-c", FRESH_INTERPRETER, str(package.path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    responses = json.loads(result.stdout.strip().splitlines()[-1])
    assert [json.loads(r["body"]) for r in responses] == [{"count": 1}, {"count": 2}]


def test_cli_build_prints_path_and_sha256(tmp_path, capsys):
    output = tmp_path / "cli" / "fn.zip"
    assert main(["build", "--output", str(output)]) == 0
    path, digest = capsys.readouterr().out.split()
    assert Path(path) == output
    assert digest == f"sha256:{build_package(tmp_path / 'again.zip').sha256}"
