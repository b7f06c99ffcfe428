"""docs/adoption.md as an operator follows it: safe order, and commands that run as written."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from counterstack.cli import parser
from counterstack.paths import REPO_ROOT

pytestmark = pytest.mark.unit

PAGE = REPO_ROOT / "docs" / "adoption.md"
BASH_BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)


def bash_blocks() -> list[str]:
    return BASH_BLOCK.findall(PAGE.read_text())


def counterstack_commands() -> list[list[str]]:
    """Each `counterstack ...` command of the page's bash blocks, as its words (comments,
    redirections and continuations dropped)."""
    found = []
    for block in bash_blocks():
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while "counterstack" in words:
                words = words[words.index("counterstack") + 1 :]
                command = []
                for word in words:
                    if word in (">", "|", "&&", ";") or word.startswith((">", "2>")):
                        break
                    command.append(word)
                found.append(command)
                words = words[len(command) :]
    return found


@pytest.mark.parametrize("block", bash_blocks(), ids=lambda block: block.splitlines()[0][:40])
def test_every_bash_block_is_valid_bash(block):
    result = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("words", counterstack_commands(), ids=" ".join)
def test_every_counterstack_command_on_the_page_parses(words):
    """A flag the CLI does not know would stop the operator mid-procedure."""
    parser().parse_args(words)


def test_the_steps_back_up_then_dry_run_then_forget_the_old_state():
    """The old root forgets its state only after a backup and a dry run that may refuse; the
    apply loop names the account and bootstraps the state backend."""
    text = PAGE.read_text()
    order = [
        "terraform state pull",
        "aws dynamodb create-backup",
        "counterstack adopt live/prod --plan",
        "counterstack adopt --removed-from",
        "counterstack adopt live/prod --write",
        "terragrunt run --backend-bootstrap -- plan",
    ]
    positions = [text.find(step) for step in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))
    assert "made only in the console" in text  # who skips the state surgery
    loop = bash_blocks()[-1]
    assert "aws_account_id" in loop and "--backend-bootstrap" in loop
