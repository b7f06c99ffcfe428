"""Bad command-line input fails before anything starts, naming the flag and what is allowed."""

import pytest

from counterstack.cli import main

pytestmark = pytest.mark.unit

BAD_FLAGS = [
    (["up", "--port", "70000"], "--port", "not a port"),
    (["up", "--port", "http"], "--port", "not a port"),
    (["up", "--region", "EU-WEST-1"], "--region", "not an AWS region"),
    (["up", "--region", "moon-1"], "--region", "not an AWS region"),
    (["up", "--name-prefix", "1demo"], "--name-prefix", "start with a letter"),
    (["up", "--name-prefix", "Demo"], "--name-prefix", "lowercase"),
    (["up", "--name-prefix", "d" * 40], "--name-prefix", "at most 32"),
    (["up", "--origin", "https://example.com/"], "--origin", "no trailing slash"),
    (["up", "--origin", "ftp://example.com"], "--origin", "not an origin"),
    (["up", "--origin", "http://example.com"], "--origin", "not an origin"),
    (["up", "--target", "gcp"], "--target", "invalid choice"),
    (["sweep"], "--prefix", "required"),
    (["sweep", "--prefix", "c"], "--prefix", "too broad"),
    (["sweep", "--prefix", "*"], "--prefix", "too broad"),
    (["sweep", "--prefix", "ct-", "--older-than", "2 hours"], "--older-than", "duration"),
    (["sweep", "--prefix", "ct-", "--older-than", "5"], "--older-than", "duration"),
    (["nope"], "COMMAND", "invalid choice"),
]


@pytest.mark.parametrize(
    ("argv", "flag", "hint"), BAD_FLAGS, ids=[" ".join(a) for a, *_ in BAD_FLAGS]
)
def test_bad_flags_exit_2_naming_the_flag(argv, flag, hint, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert flag in error
    assert hint in error
    assert "Traceback" not in error


@pytest.mark.parametrize("output", ["/", "package.tar.gz"])
def test_bad_build_output_is_one_line_error(output, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--output", output]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("counterstack build: error: --output")
    assert len(error.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_unwritable_build_output_is_one_line_error(capsys):
    # procfs refuses new files to every user, root included (a chmod'ed folder would not stop
    # root): the open of the zip fails with FileNotFoundError, which once escaped as a traceback.
    assert main(["build", "--output", "/proc/counterstack-build.zip"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == (
        "counterstack build: error: cannot write /proc/counterstack-build.zip: "
        "No such file or directory"
    )
