"""docs/deploy.md and scripts/rehearse-deploy stay one: the script runs the page's bash blocks as
written, and stands in for each block the page marks with an equivalent written for that exact
block (its fingerprint). A block changed, added or unmarked on one side only fails here, in the
default run, without the minutes of the rehearsal itself.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from counterstack.paths import REPO_ROOT

pytestmark = pytest.mark.unit

SCRIPT = REPO_ROOT / "scripts" / "rehearse-deploy"


def load_script() -> ModuleType:
    """The script as a module (it has no .py suffix); its main() is not run."""
    loader = importlib.machinery.SourceFileLoader("rehearse_deploy", str(SCRIPT))
    spec = importlib.util.spec_from_loader("rehearse_deploy", loader)
    assert spec
    module = importlib.util.module_from_spec(spec)
    sys.modules["rehearse_deploy"] = module  # dataclasses look their module up
    loader.exec_module(module)
    return module


rehearsal = load_script()
PAGE_TEXT = rehearsal.PAGE.read_text()


def test_the_page_and_the_script_agree():
    assert rehearsal.mismatches(rehearsal.page_blocks(PAGE_TEXT)) == []


def test_the_page_has_blocks_to_run_and_blocks_to_stand_in_for():
    blocks = rehearsal.page_blocks(PAGE_TEXT)
    run = [block for block in blocks if block.marker is None]
    assert run and all(block.lang == "bash" for block in run)
    assert {block.marker for block in blocks if block.marker} == set(rehearsal.EQUIVALENTS)


def _marked_block(name: str):
    return next(b for b in rehearsal.page_blocks(PAGE_TEXT) if b.marker == name)


@pytest.mark.parametrize("name", sorted(rehearsal.EQUIVALENTS))
def test_a_marked_block_changed_without_the_script_fails(name):
    """The fault planted: one character more in the block; its equivalent no longer fits."""
    block = _marked_block(name)
    changed = PAGE_TEXT.replace(block.text, block.text.replace("\n", " \n", 1), 1)
    assert changed != PAGE_TEXT
    found = rehearsal.mismatches(rehearsal.page_blocks(changed))
    assert len(found) == 1 and f"({name}) changed" in found[0], found


def test_a_marker_removed_or_unknown_fails():
    marker = "<!-- rehearse-deploy: edit-env -->"
    assert marker in PAGE_TEXT
    removed = rehearsal.mismatches(rehearsal.page_blocks(PAGE_TEXT.replace(marker, "")))
    assert any("```hcl block with no rehearse-deploy marker" in line for line in removed)
    assert any(line.startswith("edit-env: no block") for line in removed)
    renamed = PAGE_TEXT.replace(marker, "<!-- rehearse-deploy: edit-files -->")
    assert any(
        "'edit-files' has no equivalent" in s
        for s in rehearsal.mismatches(rehearsal.page_blocks(renamed))
    )


def _setting(text: str, key: str) -> str:
    """env.hcl's `key = value` statement (a one-line value or a list)."""
    found = re.search(rf"(?ms)^\s*{key}\s*=\s*(\[.*?\]|[^\n]*)$", text)
    assert found, key
    return found[0]


def test_the_edit_sets_exactly_what_the_page_says_to_edit(tmp_path):
    """The page's edit block names keys; the rehearsal's edit changes those keys in both files,
    and nothing else."""
    named = re.findall(r"(?m)^(\w+)\s*=", _marked_block("edit-env").text)
    assert named == ["aws_account_id", "cors_allow_origins", "alarm_emails"]
    shutil.copytree(REPO_ROOT / "live", tmp_path / "live", ignore=shutil.ignore_patterns(".*"))
    before = {env: (tmp_path / "live" / env / "env.hcl").read_text() for env in ("dev", "prod")}
    context = rehearsal.Rehearsal(tmp_path, {}, "http://127.0.0.1:9", "123456789012", [])
    rehearsal.edit_env(context)
    for env, text in before.items():
        after = (tmp_path / "live" / env / "env.hcl").read_text()
        for key in named:
            assert _setting(after, key) != _setting(text, key), (env, key)
            text, after = (
                text.replace(_setting(text, key), ""),
                after.replace(_setting(after, key), ""),
            )
        assert after == text, f"{env}: the edit changed more than the page names"
        edited = (tmp_path / "live" / env / "env.hcl").read_text()
        assert '"123456789012"' in edited and rehearsal.SUBSCRIBER in edited
        assert rehearsal.SITE_ORIGIN in edited and "selimcelem" not in edited
        assert ("localhost" in edited) == (env == "dev")


def _block(text: str, line: int = 7):
    return rehearsal.Block("bash", text, None, line)


def test_a_block_runs_in_a_terminal_and_is_answered_y(tmp_path, capsys):
    """`promote run` asks only on a terminal: the block gets one, and its question a `y`."""
    text = 'test -t 0\nread -r -p "apply these plans? [y/N] " answer\necho "answer=$answer"\n'
    output = rehearsal.run_block(_block(text), tmp_path, dict(os.environ))
    assert "answer=y" in output
    assert "answered y" in capsys.readouterr().out


def test_a_failing_block_names_its_line(tmp_path):
    with pytest.raises(rehearsal.RehearsalFailed, match=r"line 7 of deploy\.md exited 3"):
        rehearsal.run_block(_block("echo going\nexit 3\n"), tmp_path, dict(os.environ))


def test_the_url_the_page_prints_is_recognised():
    printed = "x\nhttps://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/visitors\n"
    assert rehearsal.URL.findall(printed) == [
        "https://abc123defg.execute-api.eu-west-1.amazonaws.com/prod/visitors"
    ]


def test_the_script_is_executable():
    assert os.access(SCRIPT, os.X_OK)
    assert Path(SCRIPT).read_text().startswith("#!/usr/bin/env python3\n")
