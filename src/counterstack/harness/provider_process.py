"""One aws provider process per harness worker, shared by every Terraform command it runs.

Terraform starts the aws provider 3-5 times per command and each first start builds the
provider's schema (~2 s of CPU). Started once in debug mode (`terraform-provider-aws -debug`),
the provider prints a `TF_REATTACH_PROVIDERS` value; Terraform commands given that variable use
the running process instead of starting their own (Terraform's own e2e tests work this way).

What this module takes care of, each learnt the hard way on this machine:
- `AWS_CA_BUNDLE` in the provider's environment makes its second ConfigureProvider fail
  ("unable to add custom RootCAs HTTPClient"): on the local target the process starts without it.
- The debug-mode provider logs at trace level (~5 MB a cycle) whatever TF_LOG says: its output
  goes to a file, never to a pipe that could fill and stall it.
- Each stack configures the provider differently, so one process serves one command at a time
  (`attached()` holds a lock) and is never shared between processes (xdist workers).
- A reattached `init` writes no `.terraform.lock.hcl`: a later command in that folder *without*
  the variable fails until `terraform init` runs again. The harness always reattaches in a
  folder it initialised reattached; a person debugging a kept folder runs `terraform init` first.
- Lifecycle: started lazily on first use, environment fixed at start, stopped by pid (SIGINT,
  then SIGKILL) when its owner ends, and also when the owning process dies without stopping it
  (SIGKILL, crash): it starts through `provider_lifeline`, whose watcher ends it once a pipe
  whose write end only this process holds reaches EOF (plain POSIX: Linux and macOS alike).
- Why a pipe and not `prctl(PR_SET_PDEATHSIG)`: that signal follows the *thread* that forked
  the provider (one started by a short-lived thread died with it) and must be set between fork
  and exec, which Python documents as unsafe in a threaded program; a pipe end belongs to the
  process, whichever thread opened it.
"""

import atexit
import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from counterstack.errors import CounterStackError
from counterstack.harness import provider_lifeline
from counterstack.terraform_cli import PROVIDER, find_provider_mirror

SHARED_PROVIDER_ENV = "COUNTERSTACK_SHARED_PROVIDER"
REATTACH_ENV = "TF_REATTACH_PROVIDERS"
# hashicorp/aws versions the roots accept (`~> 5.100` in modules/*/versions.tf); 6.x hangs
# against emulators (measured; the design notes that record it are not in this repository).
ACCEPTED_MAJOR = 5
ACCEPTED_MINIMUM = (5, 100, 0)
REATTACH_LINE = re.compile(r"TF_REATTACH_PROVIDERS='(?P<value>\{.*\})'")
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10
# Variables that must not reach the provider process on the local target (see the docstring).
LOCAL_TARGET_DROPPED = ("AWS_CA_BUNDLE",)


def shared_provider_enabled(target_name: str) -> bool:
    """COUNTERSTACK_SHARED_PROVIDER: 0 off, 1 on; unset: on for local, off for aws.

    On AWS the shared process has not been measured (the issue asks for it only where it is
    faster); `1` turns it on there to measure it.
    """
    value = os.environ.get(SHARED_PROVIDER_ENV, "").strip()
    if value not in ("", "0", "1"):
        raise CounterStackError(
            f"{SHARED_PROVIDER_ENV}={value!r}: use 1 (share one aws provider process per "
            "worker) or 0 (let Terraform start its own), or leave it unset"
        )
    return target_name == "local" if value == "" else value == "1"


def _platform_dir() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def _version(text: str) -> tuple[int, ...] | None:
    parts = text.split(".")
    return tuple(int(part) for part in parts) if all(p.isdigit() for p in parts) else None


def _binaries_under(provider_dir: Path) -> list[tuple[tuple[int, ...], Path]]:
    """(version, binary) of each acceptable hashicorp/aws under `<root>/registry.../aws`."""
    found = []
    for version_dir in provider_dir.glob("*"):
        version = _version(version_dir.name)
        if version is None or version[0] != ACCEPTED_MAJOR or version < ACCEPTED_MINIMUM:
            continue
        for binary in (version_dir / _platform_dir()).glob("terraform-provider-aws*"):
            if binary.is_file() and os.access(binary, os.X_OK):
                found.append((version, binary))
    return found


def find_provider_binary(initialized_dir: Path | None = None) -> Path | None:
    """The newest acceptable aws provider binary: in the filesystem mirror, else in the
    `.terraform/providers` of an initialised folder; None when neither has one."""
    roots = []
    if (mirror := find_provider_mirror()) is not None:
        roots.append(mirror / PROVIDER)
    if initialized_dir is not None:
        roots.append(Path(initialized_dir) / ".terraform" / "providers" / PROVIDER)
    for root in roots:
        if found := _binaries_under(root):
            return max(found)[1]
    return None


def provider_environment(
    target_name: str, base: Mapping[str, str] | None = None, extra: Mapping[str, str] = {}
) -> dict:
    """The environment the shared process starts with (fixed for its lifetime): the target's
    (`extra`, e.g. the local account's AWS_ENDPOINT_URL) over this process's."""
    environment = {**(os.environ if base is None else base), **extra}
    environment.pop(REATTACH_ENV, None)
    if target_name == "local":
        for name in LOCAL_TARGET_DROPPED:
            environment.pop(name, None)
    return environment


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def is_running(pid: int) -> bool:
    """True while `pid` is a live process (a zombie nobody reaped yet counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class SharedProvider:
    """A lazily started debug-mode aws provider that serves one Terraform command at a time."""

    def __init__(
        self,
        target_name: str,
        log_dir: Path,
        binary: Path | None = None,
        target_env: Mapping[str, str] = {},
    ) -> None:
        self.target_name = target_name
        self.log_dir = Path(log_dir)
        self.binary = binary
        self.environment = provider_environment(target_name, extra=target_env)
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self.reattach: str | None = None
        self._lifeline: int | None = None  # the write end; see provider_lifeline
        self.starts = 0
        self.stop_timeout = STOP_TIMEOUT_SECONDS
        self._lock = threading.RLock()
        atexit.register(self.stop)  # a safety net; owners call stop() themselves

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def can_start(self, initialized_dir: Path | None = None) -> bool:
        """True when a binary is known (mirror, or the given folder after a normal init)."""
        if self.binary is None:
            self.binary = find_provider_binary(initialized_dir)
        return self.binary is not None

    @contextmanager
    def attached(self, initialized_dir: Path | None = None) -> Iterator[dict[str, str]]:
        """Hold the process for one command; yield the variables that reattach Terraform."""
        with self._lock:
            if not self.can_start(initialized_dir):
                raise CounterStackError(
                    "no hashicorp/aws 5.x binary to share: set COUNTERSTACK_PROVIDER_MIRROR to a "
                    f"filesystem mirror, run `terraform init` first, or set {SHARED_PROVIDER_ENV}=0"
                )
            if self.process is None or self.process.poll() is not None:
                self.stop()  # closes the lifeline of one that ended by itself
                self._start()
            yield {REATTACH_ENV: self.reattach}

    def _start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self.log_path = self.log_dir / f"aws-provider-{os.getpid()}-{self.starts}.log"
        # os.pipe() ends are close-on-exec: no child gets the write end, the watcher the read end.
        watched, self._lifeline = os.pipe()
        lifeline = [sys.executable, "-I", provider_lifeline.__file__, str(watched)]
        try:
            with open(self.log_path, "wb") as log:
                self.process = subprocess.Popen(
                    [*lifeline, str(self.stop_timeout), str(self.binary), "-debug"],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.environment,
                    start_new_session=True,  # Ctrl-C in a terminal must not stop it mid-destroy
                    pass_fds=(watched,),
                )
        finally:
            os.close(watched)
        self.reattach = self._wait_for_reattach_line()

    def _wait_for_reattach_line(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            if match := REATTACH_LINE.search(text):
                if _is_json(match["value"]):  # else Terraform would fail later, less clearly
                    return match["value"]
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise CounterStackError(
            f"the aws provider {self.binary} printed no {REATTACH_ENV} line in debug mode; "
            f"see {self.log_path}, or set {SHARED_PROVIDER_ENV}=0"
        )

    def stop(self) -> None:
        """End the process by its pid: SIGINT (it exits cleanly on it), then SIGKILL."""
        with self._lock:
            process, self.process, self.reattach = self.process, None, None
            lifeline, self._lifeline = self._lifeline, None
        try:
            if process is None or process.poll() is not None:
                return
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        finally:
            if lifeline is not None:
                os.close(lifeline)  # after the provider ended: its watcher just exits


@contextmanager
def shared_provider(
    target_name: str, log_dir: Path, target_env: Mapping[str, str] = {}
) -> Iterator[SharedProvider | None]:
    """A SharedProvider for this target when enabled (else None); stopped on the way out."""
    if not shared_provider_enabled(target_name):
        yield None
        return
    provider = SharedProvider(target_name, log_dir, target_env=target_env)
    try:
        yield provider
    finally:
        provider.stop()


@contextmanager
def reattached(provider: SharedProvider | None) -> Iterator[dict[str, str]]:
    """The variables that reattach Terraform to `provider` for the block (held meanwhile);
    none without one, or without a mirror's binary to start, so Terraform starts its own."""
    if provider is None or not provider.can_start():
        yield {}
        return
    with provider.attached() as variables:
        yield variables
