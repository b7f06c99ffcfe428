"""`counterstack sweep`'s rules, against moto in-process: the account is named and checked before
anything is listed, and nothing is deleted without --delete (and a yes on a terminal)."""

import io
import re
import shlex
from collections.abc import Callable

import botocore.client
import pytest
from test_sweep import client

from counterstack.cli import main, parser
from counterstack.harness.inventory import list_resources
from counterstack.harness.mark import tag_list
from counterstack.paths import REPO_ROOT

pytestmark = pytest.mark.unit

ACCOUNT = "123456789012"  # moto's
OTHER = "210987654321"
KINDS = 1  # a table each: what the rules decide does not depend on the kind (test_sweep's job)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS operation the command calls, in order."""
    made: list[str] = []
    real: Callable = botocore.client.BaseClient._make_api_call

    def record(self, operation_name, api_params):
        made.append(operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return made


@pytest.fixture
def leftovers(aws):
    """A crashed run's table (marked) and an unmarked one under the same prefix."""
    for name, tags in (("ct-dead-gw0-1-visitors", tag_list("ct-dead-gw0-1")), ("ct-hand-t", [])):
        client("dynamodb").create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=tags,
        )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def sweep_cli(*args: str) -> int:
    return main(["sweep", "--prefix", "ct-", *args])


def test_aws_needs_an_account_id_and_asks_aws_nothing(aws, calls, capsys):
    assert sweep_cli("--delete") == 2
    out, err = capsys.readouterr()
    assert out == "" and calls == []
    assert err.count("\n") == 1 and "--account-id" in err


def test_another_account_stops_before_anything_is_listed(leftovers, calls, capsys):
    calls.clear()
    assert sweep_cli("--account-id", OTHER, "--delete") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == (
        f"counterstack sweep: error: refusing to sweep: the credentials are for account "
        f"{ACCOUNT}, not --account-id {OTHER}"
    )
    assert set(calls) == {"GetCallerIdentity"}
    assert len(list_resources(client, "ct-")) == 2 * KINDS


def test_the_default_is_a_dry_run(leftovers, capsys):
    assert sweep_cli("--account-id", ACCOUNT) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("would delete ") for line in lines) == KINDS
    assert sum("left alone: no mark, named like a test run's" in line for line in lines) == KINDS
    assert lines[-2:] == [
        f"dry run: nothing deleted; --delete deletes the {KINDS} marked 'would delete'",
        f"{2 * KINDS} resource(s) matched 'ct-'; 0 failed",
    ]
    assert len(list_resources(client, "ct-")) == 2 * KINDS


def test_delete_takes_only_the_marked(leftovers, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no question
    assert sweep_cli("--account-id", ACCOUNT, "--delete") == 0
    out = capsys.readouterr().out
    assert out.count("\ndeleted ") + out.startswith("deleted ") == KINDS
    assert "tag it counterstack:ephemeral=<its prefix>" in out  # how to remove the rest by hand
    assert list_resources(client, "ct-dead-") == []
    assert len(list_resources(client, "ct-hand-")) == KINDS


@pytest.mark.parametrize(("answer", "left"), [("n\n", 2 * KINDS), ("y\n", KINDS)])
def test_a_terminal_is_asked_first(leftovers, monkeypatch, capsys, answer, left):
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    code = sweep_cli("--account-id", ACCOUNT, "--delete")
    assert code == (0 if answer == "y\n" else 1)
    assert f"delete the {KINDS} resource(s) marked 'would delete'? [y/N]" in capsys.readouterr().out
    assert len(list_resources(client, "ct-")) == left


@pytest.mark.parametrize(
    ("flags", "hint"),
    [
        (["--account-id", "12345"], "not an AWS account id (12 digits)"),
        (["--account-id", "prod"], "not an AWS account id (12 digits)"),
        (["--delete", "--dry-run"], "not allowed with argument --delete"),
    ],
)
def test_bad_sweep_flags_exit_2_naming_the_rule(flags, hint, capsys):
    with pytest.raises(SystemExit) as exit_info:
        sweep_cli(*flags)
    assert exit_info.value.code == 2
    assert hint in capsys.readouterr().err


# What the documented lines leave to the reader or the job, as a value the parser takes.
PLACEHOLDERS = {
    "<its id>": "111122223333",
    "<id>": "111122223333",
    '"$NIGHTLY_ACCOUNT_ID"': "111122223333",
    '"${NIGHTLY_SWEEP_OLDER_THAN:-2h}"': "2h",
}


def documented_sweeps() -> list[str]:
    """Every `counterstack sweep` command line of the README, the docs and the scripts."""
    files = [REPO_ROOT / "README.md", *(REPO_ROOT / "docs").glob("*.md")]
    files += [p for p in (REPO_ROOT / "scripts").iterdir() if p.is_file()]
    found = []
    for path in files:  # a shell line continued, a markdown list item wrapped: one line
        text = re.sub(r"\\\n|\n  +", " ", path.read_text())
        for match in re.finditer(r"counterstack sweep ([^\n`#)|]*)", text):
            line = match.group(1)
            for placeholder, value in PLACEHOLDERS.items():
                line = line.replace(placeholder, value)
            found.append(line.strip())
    return found


def test_the_documented_sweeps_are_ones_the_command_takes():
    """README's everyday lines, the docs' and the nightly scripts' stay right as the rules change:
    each parses, and each against AWS names its account."""
    lines = documented_sweeps()
    assert len(lines) >= 6, lines
    for line in lines:
        args = parser().parse_args(["sweep", *shlex.split(line)])
        assert args.endpoint or args.account_id, f"sweeps AWS without --account-id: {line}"
