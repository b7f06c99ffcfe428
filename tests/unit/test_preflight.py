"""Preflight: a command checks its tools before it starts anything, in one line, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from counterstack.errors import CounterStackError
from counterstack.preflight import check_terraform, lambda_python_warning

pytestmark = pytest.mark.unit


def fake_terraform(folder: Path, version: str) -> None:
    script = folder / "terraform"
    script.write_text(f'#!/bin/sh\necho \'{{"terraform_version": "{version}"}}\'\n')
    script.chmod(0o755)


def test_without_terraform_the_error_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CounterStackError, match=r"terraform is not on PATH: install Terraform >="):
        check_terraform()


def test_an_old_terraform_is_refused_by_its_version(tmp_path, monkeypatch):
    fake_terraform(tmp_path, "1.5.7")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CounterStackError, match=r"terraform 1.5.7 is too old: install Terraform"):
        check_terraform()


def test_a_new_enough_terraform_passes(tmp_path, monkeypatch):
    fake_terraform(tmp_path, "1.11.4")
    monkeypatch.setenv("PATH", str(tmp_path))
    check_terraform()


def test_no_python312_is_a_one_line_warning_naming_the_fallback():
    warning = lambda_python_warning(lambda runtime: sys.executable)
    if sys.version_info[:2] == (3, 12):
        assert warning is None  # this Python is the runtime's version
    else:
        assert warning is not None and "\n" not in warning
        assert warning.startswith("warning: no python3.12 on this machine")
        assert f"run on this Python {sys.version_info[0]}.{sys.version_info[1]}" in warning
    assert lambda_python_warning(lambda runtime: "/usr/bin/python3.12") is None


def test_up_without_terraform_fails_in_one_line_before_starting_anything(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "counterstack.cli", "up", "--port", "0", "--page-port", "0"],
        env={**os.environ, "PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("counterstack up: error: terraform is not on PATH: install")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "starting the local account" not in result.stdout
