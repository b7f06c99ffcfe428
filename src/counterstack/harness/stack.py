"""Ephemeral stacks, Terratest style: apply, use, and always destroy and prove nothing is left.

`ephemeral_stack` works on its own copy of a root module (plus `modules/`) in a temp folder, so
parallel xdist workers never share a `.terraform` folder, and names every resource from a
unique prefix so the leak check after destroy can list what is left by name. Given a
SharedProvider, every Terraform command of the stack reattaches to that one aws provider process
instead of starting its own (see `provider_process`).
"""

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tftest

from counterstack.build import build_package
from counterstack.harness import interrupts
from counterstack.harness.inventory import ClientFactory, Resource, list_resources
from counterstack.harness.mark import EPHEMERAL_TAG
from counterstack.harness.naming import validate_prefix
from counterstack.harness.provider_process import SharedProvider
from counterstack.harness.retry import is_transient, retry
from counterstack.harness.shared_key import shared_key_input
from counterstack.harness.sweep import sweep
from counterstack.harness.target import Target
from counterstack.paths import MODULES_DIR, REPO_ROOT
from counterstack.terraform_cli import terraform_env

TFVARS_FILE = "ephemeral.auto.tfvars.json"
OVERRIDE_FILE = "ephemeral_override.tf"
COPY_IGNORE = shutil.ignore_patterns(".terraform", "*.tfstate*", "*_override.tf", "*.tfplan")
# A teardown's destroy is never sent an interrupt: it is what leaves the account clean.
UNINTERRUPTED_COMMANDS = frozenset({"destroy"})

Progress = Callable[[str], None]


class LeakError(AssertionError):
    """Resources of a destroyed stack are still in the account."""


@dataclass
class Stack:
    dir: Path
    prefix: str
    target: Target
    terraform: tftest.TerraformTest
    outputs: dict[str, Any]
    # Set by a test that changes the stack's resources other than through this Terraform: the
    # harness then refreshes before its destroy. Otherwise the state the harness just applied is
    # the truth, and `destroy -refresh=false` saves a whole walk (the leak check still proves it).
    changed_outside_terraform: bool = False

    def output(self, name: str) -> Any:
        return self.outputs[name]

    def url(self, output: str = "visitors_url") -> str:
        """An output URL as this machine can call it (the local gateway on the local target)."""
        return self.target.reachable_url(self.outputs[output])

    def plan_changes(self) -> str | None:
        """None when `terraform plan -detailed-exitcode` shows no changes, else the plan text."""
        result = self.terraform.execute_command(
            "plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false"
        )
        return None if result.retcode == 0 else result.out

    def resources(self) -> list[Resource]:
        return list_resources(self.target.client, f"{self.prefix}-")


# What a kept stack's copy keeps when the current code is copied over it: its state and its init.
KEPT_ON_REUSE = {
    ".terraform",
    ".terraform.lock.hcl",
    "terraform.tfstate",
    "terraform.tfstate.backup",
}


def prepare_stack(
    root_dir: Path, target: Target, workdir: Path, prefix: str, **variables: Any
) -> Path:
    """Copy the root and the modules, write the provider override, the zip and the tfvars
    (with the account's shared alarms key where the root takes one: `shared_key`).

    Over an earlier copy (a reused stack) the code is replaced whole, the state and init kept.
    """
    validate_prefix(prefix)
    root_dir = Path(root_dir).resolve()
    copy = workdir / root_dir.relative_to(REPO_ROOT)
    _clear_code(copy)
    shutil.rmtree(workdir / "modules", ignore_errors=True)
    shutil.copytree(root_dir, copy, ignore=COPY_IGNORE, dirs_exist_ok=True)
    shutil.copytree(MODULES_DIR, workdir / "modules", ignore=COPY_IGNORE)
    (copy / OVERRIDE_FILE).write_text(target.provider_override({EPHEMERAL_TAG: prefix}))
    package = build_package(workdir / "build" / "visitor_counter.zip")
    tfvars = {
        "name_prefix": prefix,
        "region": target.region,
        "package_path": str(package.path),
        **shared_key_input(root_dir, target.client, variables),  # the alarms' key, made once
        **variables,
    }
    (copy / TFVARS_FILE).write_text(json.dumps(tfvars, indent=2))
    return copy


def _clear_code(copy: Path) -> None:
    """Remove an earlier copy's code (a file deleted from the root must not linger)."""
    if not copy.is_dir():
        return
    for entry in copy.iterdir():
        if entry.name in KEPT_ON_REUSE:
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


class Terraform(tftest.TerraformTest):
    """tftest's runner; with a SharedProvider each command reattaches to it, one at a time.

    Commands run under the stop signals (`interrupts.run`): an interrupt stops one the way
    Terraform stops, lock released, and a teardown's destroy is left to finish.
    """

    def __init__(self, tfdir: Path, target: Target, provider: SharedProvider | None = None) -> None:
        env = {**terraform_env(), **target.terraform_env()}
        super().__init__(str(tfdir), binary="terraform", env=env)
        self.provider = provider

    def execute_command(self, cmd: str, *cmd_args: str) -> tftest.TerraformCommandOutput:
        # Without a mirror the binary exists only after a normal init (in .terraform/providers).
        if self.provider is None or (cmd == "init" and not self.provider.can_start()):
            return self._run(cmd, cmd_args, self.env)
        with self.provider.attached(Path(self.tfdir)) as reattach:
            return self._run(cmd, cmd_args, {**self.env, **reattach})

    def _run(
        self, cmd: str, cmd_args: tuple[str, ...], env: dict[str, str]
    ) -> tftest.TerraformCommandOutput:
        """As tftest runs a command (exit 1 or 11 raises), under the stop signals."""
        result = interrupts.run(
            [self.binary, cmd, *cmd_args],
            cwd=self.tfdir,
            env=env,
            interruptible=cmd not in UNINTERRUPTED_COMMANDS,
        )
        if result.returncode in (1, 11):
            message = (
                f"Error running command {cmd}: {result.returncode} {result.stdout} {result.stderr}"
            )
            raise tftest.TerraformTestError(message, result.stderr)
        return tftest.TerraformCommandOutput(result.returncode, result.stdout, result.stderr)


def terraform(tfdir: Path, target: Target, provider: SharedProvider | None = None) -> Terraform:
    """Terraform for a stack's folder: the target's environment, the shared provider if any."""
    return Terraform(tfdir, target, provider)


def diagnostics(error: BaseException) -> str:
    """What Terraform reported as the error: its stderr, not the plan and progress on stdout.

    tftest's message holds the whole stdout, and a plan names attributes like
    `throttling_burst_limit`: classified on that, every failure would look transient.
    """
    stderr = getattr(error, "cmd_error", None)
    return stderr.strip() if isinstance(stderr, str) and stderr.strip() else str(error)


def is_transient_terraform_error(error: BaseException) -> bool:
    return is_transient(RuntimeError(diagnostics(error)))


def destroy(
    tf: tftest.TerraformTest, progress: Progress | None = None, *, refresh: bool = True
) -> None:
    """`terraform destroy`, retried on transient errors (throttling, conflicts, timeouts).

    Only Terraform's diagnostics decide: an error the AWS provider already retried and gave up
    on (ConflictException, a throttle past its retry budget) gets a fresh `terraform destroy`;
    AccessDenied or a validation error fails at once. `refresh=False` skips the refresh walk of
    the first attempt only: a retry follows a failure, and then reads the account again.
    """
    attempts = 0

    def attempt() -> str:
        nonlocal attempts
        attempts += 1
        return tf.destroy(auto_approve=True, refresh=refresh or attempts > 1)

    def announce(attempt: int, error: BaseException) -> None:
        if progress:
            reason = diagnostics(error)
            progress(f"destroy attempt {attempt} failed transiently, retrying: {reason}")

    retry(
        attempt,
        attempts=3,
        transient=is_transient_terraform_error,
        on_retry=announce,
    )


def assert_no_leaks(target: Target, prefix: str) -> None:
    left = list_resources(target.client, f"{prefix}-")
    if left:
        names = ", ".join(str(resource) for resource in left)
        where = f"--endpoint {target.endpoint}" if target.endpoint else "--account-id <its id>"
        raise LeakError(
            f"{len(left)} resource(s) of stack {prefix} survived destroy: {names}; "
            f"remove them with `counterstack sweep --prefix {prefix}- {where} --delete`"
        )


@contextmanager
def ephemeral_stack(
    root_dir: Path,
    *,
    target: Target,
    workdir: Path,
    prefix: str,
    progress: Progress | None = None,
    provider: SharedProvider | None = None,
    keep: bool = False,
    on_destroyed: Callable[[], None] | None = None,
    **variables: Any,
) -> Iterator[Stack]:
    """Apply `root_dir` to `target`, yield the Stack, then destroy and leak-check in `finally`.

    With `provider`, every command reattaches to that shared aws provider process. With `keep`
    the stack stays applied (see `kept_stacks`); `on_destroyed` runs once the leak check passed.
    Applied over a workdir that already holds the stack's copy, this updates that stack.
    A stop signal (SIGINT, SIGTERM) during init or apply stops that command the way Terraform
    stops, then the stack is destroyed and `interrupts.Interrupted` raised (see `interrupts`).
    """
    say = progress or (lambda _message: None)
    with interrupts.handled() as signals:
        tfdir = prepare_stack(root_dir, target, workdir, prefix, **variables)
        tf = terraform(tfdir, target, provider)
        initialized = False
        stack = None
        stopped = False  # init or apply was stopped by a signal
        try:
            with signals.deferred():  # a signal stops the running command, or the next one
                try:
                    say("terraform init")
                    tf.init(upgrade=False)
                    initialized = True
                    say("terraform apply")
                    tf.apply(auto_approve=True)
                    stack = Stack(tfdir, prefix, target, tf, dict(tf.output()))
                except interrupts.Interrupted as interrupted:
                    stopped = True
                    if line := interrupted.stopped_line():
                        say(line)
                    raise
            yield stack
        finally:
            with signals.deferred():  # the teardown runs whole: a signal is delivered after it
                if keep:
                    say(f"kept stack {prefix} in {tfdir}: --reuse-stack takes it up")
                else:
                    _destroy_and_check(tf, target, prefix, stack, initialized, stopped, progress)
                    if on_destroyed:
                        on_destroyed()


def sweep_unrecorded(target: Target, prefix: str, say: Progress) -> None:
    """Delete what a stopped apply created but never recorded in its state.

    Terraform's graceful stop cancels the provider's in-flight creates: a table or a key whose
    create call the account had already carried out is then missing from the state, and
    `destroy` cannot see it (measured: a SIGINT mid-apply left the table, or the KMS key, so).
    The stack's prefix names the table; the key has no name until its alias exists, so it is
    found by the stack's tag.
    """
    left = list_resources(target.client, f"{prefix}-")
    keys = stack_keys(target.client, prefix)
    if not left and not keys:
        return
    names = [str(resource) for resource in left] + [f"kms key {key}" for key in keys]
    say(
        f"sweeping {len(names)} resource(s) the stopped apply created but Terraform had not "
        f"recorded: {', '.join(names)}"
    )
    for result in sweep(target.client, f"{prefix}-"):
        if result.outcome != "deleted":
            say(f"could not sweep {result.resource}: {result.outcome}")
    for key in keys:  # KMS deletes a key after a waiting period of at least 7 days
        target.client("kms").schedule_key_deletion(KeyId=key, PendingWindowInDays=7)


def stack_keys(client: ClientFactory, prefix: str) -> list[str]:
    """Ids of the customer KMS keys tagged as the stack's and not scheduled for deletion."""
    kms = client("kms")
    found = []
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if metadata["KeyManager"] != "CUSTOMER" or metadata["KeyState"] == "PendingDeletion":
                continue
            tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
            if {"TagKey": EPHEMERAL_TAG, "TagValue": prefix} in tags:
                found.append(key["KeyId"])
    return found


def _destroy_and_check(
    tf: Terraform,
    target: Target,
    prefix: str,
    stack: Stack | None,
    initialized: bool,
    stopped: bool,
    progress: Progress | None,
) -> None:
    say = progress or (lambda _message: None)
    try:
        if initialized:  # a failed init created nothing, and destroy could not run
            say("terraform destroy")
            # A failed or stopped apply leaves a state to check against the account: refresh then.
            applied = stack is not None and not stack.changed_outside_terraform
            destroy(tf, progress, refresh=not applied)
    finally:
        if stopped:
            sweep_unrecorded(target, prefix, say)
        say("leak check")
        assert_no_leaks(target, prefix)
