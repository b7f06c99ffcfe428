"""The shared aws provider process: which binary, which environment, and that it always ends.

A stand-in provider (a shell script that prints the debug-mode reattach line and, like a stuck
process, ignores SIGINT) drives the lifecycle without the 675 MB binary; the one test that proves
Terraform is served runs the real binary from the mirror. That no provider outlives a pytest
session or `counterstack up` is proven end to end in tests/e2e/test_shared_provider.py and
tests/e2e/test_up.py.
"""

import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from terraform_runner import terraform

from counterstack.errors import CounterStackError
from counterstack.harness import provider_process
from counterstack.harness.provider_process import (
    REATTACH_ENV,
    SHARED_PROVIDER_ENV,
    START_TIMEOUT_SECONDS,
    SharedProvider,
    is_running,
    provider_environment,
    shared_provider,
    shared_provider_enabled,
)
from counterstack.terraform_cli import PROVIDER

pytestmark = [pytest.mark.unit, pytest.mark.slow]

REATTACH = '{"registry.terraform.io/hashicorp/aws":{"Protocol":"grpc","Pid":1}}'
FAKE_PROVIDER = f"""#!/bin/sh
trap '' INT
env > "$0.env"
cat <<'END'
Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS variable:

	TF_REATTACH_PROVIDERS='{REATTACH}'
END
exec sleep 600
"""


@pytest.fixture
def fake_binary(tmp_path: Path) -> Path:
    binary = tmp_path / "terraform-provider-aws_v5.100.0_x5"
    binary.write_text(FAKE_PROVIDER)
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [("", "local", True), ("", "aws", False), ("0", "local", False), ("1", "aws", True)],
)
def test_switch_defaults_to_local_only(monkeypatch, value, target, expected):
    monkeypatch.setenv(SHARED_PROVIDER_ENV, value)
    assert shared_provider_enabled(target) is expected


def test_switch_rejects_other_values_naming_the_variable(monkeypatch):
    monkeypatch.setenv(SHARED_PROVIDER_ENV, "yes")
    with pytest.raises(CounterStackError, match=f"{SHARED_PROVIDER_ENV}='yes': use 1"):
        shared_provider_enabled("local")


def test_local_target_provider_starts_without_ca_bundle():
    base = {"AWS_CA_BUNDLE": "/etc/ca.pem", "PATH": "/bin", REATTACH_ENV: "{}"}
    assert provider_environment("local", base) == {"PATH": "/bin"}
    assert provider_environment("aws", base) == {"AWS_CA_BUNDLE": "/etc/ca.pem", "PATH": "/bin"}


def test_newest_acceptable_binary_is_chosen(tmp_path, monkeypatch):
    platform_dir = provider_process._platform_dir()
    for version in ("5.99.0", "5.100.0", "5.101.2", "6.0.0", "not-a-version"):
        folder = tmp_path / PROVIDER / version / platform_dir
        folder.mkdir(parents=True)
        binary = folder / f"terraform-provider-aws_v{version}_x5"
        binary.write_text("")
        binary.chmod(0o755)
    monkeypatch.setattr(provider_process, "find_provider_mirror", lambda: None)
    initialized = tmp_path / "root"
    (initialized / ".terraform" / "providers").mkdir(parents=True)
    (initialized / ".terraform" / "providers" / "registry.terraform.io").symlink_to(
        tmp_path / "registry.terraform.io"
    )
    assert provider_process.find_provider_binary() is None
    found = provider_process.find_provider_binary(initialized)
    assert found is not None and found.name == "terraform-provider-aws_v5.101.2_x5"


def test_started_lazily_with_a_fixed_environment_and_killed_when_sigint_is_ignored(
    tmp_path, fake_binary, monkeypatch
):
    monkeypatch.setattr(provider_process, "find_provider_binary", lambda *_: fake_binary)
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ca.pem")
    with shared_provider("local", tmp_path / "logs") as provider:
        provider.stop_timeout = 0.5
        assert provider.pid is None, "started before any command needed it"
        monkeypatch.setenv("AWS_CA_BUNDLE", "/changed/after/creation")
        with provider.attached() as variables:
            pid = provider.pid
        assert is_running(pid)
        assert variables == {REATTACH_ENV: REATTACH}
        assert "AWS_CA_BUNDLE" not in Path(f"{fake_binary}.env").read_text()
        assert REATTACH in provider.log_path.read_text()  # its output goes to a file
    # SIGINT is ignored by the stand-in: leaving the context must have escalated to SIGKILL.
    assert not is_running(pid)
    assert provider.pid is None


def test_switched_off_there_is_no_provider(tmp_path, monkeypatch):
    monkeypatch.setenv(SHARED_PROVIDER_ENV, "0")
    with shared_provider("local", tmp_path) as provider:
        assert provider is None


def test_a_dead_process_is_restarted_and_commands_run_one_at_a_time(tmp_path, fake_binary):
    provider = SharedProvider("local", tmp_path / "logs", binary=fake_binary)
    provider.stop_timeout = 0.5
    try:
        with provider.attached():
            first = provider.pid
        provider.process.kill()
        provider.process.wait()
        with provider.attached():
            second = provider.pid
        assert second != first and provider.starts == 2

        order: list[str] = []
        entered = threading.Event()

        def other_command() -> None:
            with provider.attached():
                order.append("other")
                entered.set()

        with provider.attached():
            thread = threading.Thread(target=other_command)
            thread.start()
            # Observed, not waited for: while this command holds the process, no other thread
            # can take its lock, so the other command cannot be inside however the threads run.
            assert not lock_is_free(provider)
            assert not entered.is_set()
            order.append("first")
        assert entered.wait(30), "the other command never got in after the first ended"
        thread.join(30)
        assert order == ["first", "other"]
        assert lock_is_free(provider)
    finally:
        provider.stop()
    assert not is_running(second)


def lock_is_free(provider: SharedProvider) -> bool:
    """A non-blocking acquire of the lock `attached()` holds, from a thread of its own (the
    lock is re-entrant for its owner); given back at once when it was free."""
    free: list[bool] = []

    def probe() -> None:
        got = provider._lock.acquire(blocking=False)
        if got:
            provider._lock.release()
        free.append(got)

    prober = threading.Thread(target=probe)
    prober.start()
    prober.join(30)
    return free == [True]


def test_a_binary_without_reattach_line_is_a_clear_error(tmp_path):
    binary = tmp_path / "terraform-provider-aws"
    binary.write_text("#!/bin/sh\necho 'this is not a plugin'\n")
    binary.chmod(0o755)
    provider = SharedProvider("local", tmp_path / "logs", binary=binary)
    with (
        pytest.raises(CounterStackError, match="printed no TF_REATTACH_PROVIDERS line"),
        provider.attached(),
    ):
        pass
    assert provider.pid is None


def test_local_target_reaches_the_account_through_the_environment_not_an_endpoints_block():
    """The endpoints block costs ~2 s of provider validation per ConfigureProvider."""
    from counterstack.harness.target import Target

    local = Target("local", "eu-west-1", "http://127.0.0.1:4599")
    override = local.provider_override({"counterstack:ephemeral": "ct-x"})
    assert "endpoints" not in override
    assert 'access_key                  = "test"' in override  # never real credentials
    assert '"counterstack:ephemeral" = "ct-x"' in override
    assert local.terraform_env() == {"AWS_ENDPOINT_URL": "http://127.0.0.1:4599"}
    provider = SharedProvider("local", Path("/unused"), target_env=local.terraform_env())
    assert provider.environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4599"
    assert Target("aws", "eu-west-1").terraform_env() == {}


TINY_ROOT = """
provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

data "aws_partition" "current" {}

output "partition" {
  value = data.aws_partition.current.partition
}
"""


def test_a_provider_started_by_a_thread_that_ended_still_serves_terraform(tmp_path, monkeypatch):
    """The thread that started the process is not its owner: the process is."""
    binary = provider_process.find_provider_binary()
    if binary is None or shutil.which("terraform") is None:
        pytest.skip("needs terraform and an aws provider binary in the mirror")
    provider = SharedProvider("local", tmp_path / "logs", binary=binary)
    try:

        def start_the_provider() -> None:
            with provider.attached():
                pass

        starter = threading.Thread(target=start_the_provider)
        starter.start()
        starter.join(START_TIMEOUT_SECONDS)
        pid = provider.pid
        assert pid is not None and not starter.is_alive()
        assert is_running(pid), "the provider ended with the thread that started it"
        (tmp_path / "main.tf").write_text(TINY_ROOT)
        with provider.attached() as variables:
            monkeypatch.setenv(REATTACH_ENV, variables[REATTACH_ENV])
            for command in (["init"], ["plan", "-input=false"]):
                ran = terraform(tmp_path, *command)
                assert ran.returncode == 0, ran.stdout + ran.stderr
        assert 'partition = "aws"' in ran.stdout
        assert (provider.pid, provider.starts) == (pid, 1), "served by a restarted process"
    finally:
        provider.stop()


OWNER = """
import sys, time
from pathlib import Path
from counterstack.harness.provider_process import SharedProvider

provider = SharedProvider("local", Path(sys.argv[1]), binary=Path(sys.argv[2]))
provider.stop_timeout = 0.5
with provider.attached():
    print(provider.pid, flush=True)
time.sleep(600)
"""
END_TIMEOUT_SECONDS = 5


def children(pid: int) -> list[int]:
    """The processes `pid`'s main thread started (Linux)."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def ended_in_time(pids: list[int]) -> bool:
    deadline = time.monotonic() + END_TIMEOUT_SECONDS
    while any(map(is_running, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(map(is_running, pids))


def test_the_provider_and_its_watcher_end_when_the_owning_process_is_killed(tmp_path, fake_binary):
    command = [sys.executable, "-c", OWNER, str(tmp_path / "logs"), str(fake_binary)]
    owner = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    started = []
    try:
        pid = int(owner.stdout.readline())
        started = [pid, *children(pid)]
        assert len(started) == 2 and all(map(is_running, started)), "a provider and its watcher"
        owner.kill()  # no atexit, no stop(): only the kernel closes the owner's files
        owner.wait()
        # The stand-in ignores SIGINT: the watcher escalates to SIGKILL after stop_timeout.
        assert ended_in_time(started), f"outlived their SIGKILLed owner: {started}"
    finally:
        owner.kill()
        owner.wait()
        owner.stdout.close()
        for leftover in filter(is_running, started):
            os.kill(leftover, signal.SIGKILL)


def test_no_preexec_fn_in_the_package():
    """Python documents preexec_fn as unsafe in a program with threads; the harness has them."""
    sources = Path(provider_process.__file__).parents[1].rglob("*.py")
    assert [path for path in sources if "preexec_fn" in path.read_text()] == []
