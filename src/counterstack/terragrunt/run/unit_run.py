"""One unit run as `terragrunt run -- <command>` runs it.

The unit's config is read for the command (`terragrunt.unit`, the one reader), its working copy
brought up to date with its generated files, the state bucket bootstrapped when asked, Terraform
initialised when the copy has not been, the hooks run around the command, and the inputs handed
over as `TF_VAR_*` (nulls through a tfvars file removed afterwards). A dependency's outputs are
read from its state with `terraform output -json` in its own working copy, without its hooks.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from counterstack.errors import CounterStackError
from counterstack.terragrunt.codegen import init_args
from counterstack.terragrunt.config import Run
from counterstack.terragrunt.expressions import EvaluationError, plain
from counterstack.terragrunt.run.argv import Request
from counterstack.terragrunt.run.bootstrap import bootstrap
from counterstack.terragrunt.run.guard import require_local_account, uses_aws
from counterstack.terragrunt.run.hooks import run_hooks
from counterstack.terragrunt.run.queue import refuse_cycles
from counterstack.terragrunt.run.tf_vars import tf_var_env, write_null_vars
from counterstack.terragrunt.run.workcopy import SourceDownloadError, working_copy
from counterstack.terragrunt.unit import Config, as_flag, read_unit

TRUE = ("1", "true", "yes")
INIT_MARKER = ".terragrunt-init"  # what the copy was initialised with


class UnitFailed(CounterStackError):
    """A unit's run failed; the message says why (Terraform's own output went to stderr)."""


@dataclass
class UnitRunner:
    """Runs units of one invocation; dependency outputs are read once per applied state."""

    request: Request
    env: Mapping[str, str]
    out: TextIO
    err: TextIO
    outputs_cache: dict[Path, Any] = field(default_factory=dict)

    # --- reading --------------------------------------------------------------------------

    def read(self, unit_dir: Path, command: str | None = None) -> Config:
        run = Run(
            command=command or self.request.command,
            args=tuple(self.request.args),
            env=dict(self.env),
            outputs=self.outputs_of,
            features=dict(self.request.features),
        )
        return read_unit(unit_dir, run)

    def dependency_dirs(self, config: Config) -> list[Path]:
        """The units `config` depends on: enabled dependency blocks and `dependencies.paths`."""
        found = []
        for dependency in config.dependencies.values():
            enabled = dependency.get("enabled", True)
            if as_flag(enabled, "enabled") is not False:
                found.append(dependency.unit_dir())
        paths = (config.get("dependencies") or {}).get("paths") or []
        found += [Path(os.path.normpath(config.path.parent / p)) for p in plain(paths)]
        return list(dict.fromkeys(found))

    def graph(self, units: list[Path]) -> dict[Path, list[Path]]:
        """Every unit reachable from `units` through dependencies, with its dependencies;
        a cycle is refused."""
        graph: dict[Path, list[Path]] = {}
        todo = list(units)
        while todo:
            unit = todo.pop(0)
            if unit in graph:
                continue
            graph[unit] = self.dependency_dirs(self.read(unit))
            todo += [d for d in graph[unit] if d not in graph]
        refuse_cycles({str(k): {str(d) for d in v} for k, v in graph.items()})
        return graph

    def outputs_of(self, unit_dir: Path) -> Any:
        """A dependency's outputs from its state (None when it has none): no hooks run."""
        unit_dir = Path(unit_dir)
        if unit_dir not in self.outputs_cache:
            if not (unit_dir / "terragrunt.hcl").is_file():
                raise EvaluationError(f"{unit_dir}: no terragrunt.hcl (a dependency's config_path)")
            config = self.read(unit_dir)
            workdir = working_copy(unit_dir, config)
            env = self._terraform_env(config, workdir, unit_dir)
            self._init_if_needed(config, workdir, env, quiet=True)
            result = self._terraform(["output", "-json"], workdir, env, capture=True)
            if result.returncode != 0:
                raise EvaluationError(f"reading the outputs of {unit_dir}: {result.stderr.strip()}")
            shown = json.loads(result.stdout or "{}")
            self.outputs_cache[unit_dir] = {k: v.get("value") for k, v in shown.items()} or None
        return self.outputs_cache[unit_dir]

    # --- running --------------------------------------------------------------------------

    def _terraform_env(
        self, config: Config, workdir: Path | None, unit_dir: Path
    ) -> dict[str, str]:
        env = {"TF_INPUT": "0", **self.env}  # never a prompt: nobody is there to answer
        if uses_aws(config, workdir):
            require_local_account(env, unit_dir)
        return env

    def _terraform(
        self, args: list[str], workdir: Path, env: Mapping[str, str], *, capture: bool = False
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["terraform", *args],
            cwd=workdir,
            env=dict(env),
            capture_output=True,
            text=True,
            check=False,
        )
        if not capture:
            self.out.write(result.stdout)
            self.err.write(result.stderr)
        return result

    def _init_if_needed(
        self, config: Config, workdir: Path, env: Mapping[str, str], *, quiet: bool = False
    ) -> None:
        """`terraform init` (Terragrunt's auto-init) unless this copy was initialised with the
        same backend and modules: init's output is a log, so it goes to stderr."""
        remote_state = config.get("remote_state") or {}
        args = ["init", "-input=false"]
        if remote_state and not remote_state.get("generate"):
            args += init_args(remote_state["backend"], remote_state.get("config") or {})
        marker = workdir / INIT_MARKER
        digest = _init_digest(workdir, args)
        if marker.is_file():
            if marker.read_text() == digest:
                return
            args.append("-reconfigure")  # the backend moved (e.g. another local account's port)
        result = self._terraform(args, workdir, env, capture=True)
        if not quiet or result.returncode != 0:
            self.err.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise UnitFailed(f"terraform init failed in {workdir} (exit {result.returncode})")
        marker.write_text(digest)

    def _bootstrap(
        self, config: Config, env: Mapping[str, str], unit_dir: Path, *, forced: bool = False
    ) -> None:
        remote_state = config.get("remote_state") or {}
        wanted = (
            forced
            or self.request.backend_bootstrap
            or self.env.get("TG_BACKEND_BOOTSTRAP", "") in TRUE
        )
        if not remote_state or remote_state.get("disable_init") or not wanted:
            return
        if remote_state["backend"] != "s3":
            raise UnitFailed(f"--backend-bootstrap: backend {remote_state['backend']!r} is not S3")
        endpoint = require_local_account(env, unit_dir)
        bootstrap(
            plain(remote_state.get("config") or {}),
            endpoint,
            self.err,
            update_existing=not self.request.disable_bucket_update,
            fail_on_creation=self.request.fail_on_state_bucket_creation,
        )

    def early_exit(self, config: Config, command: str) -> bool:
        """The unit's exclude block says no_run for this command (single-unit mode)."""
        exclude = excluded_by(config, command)
        return bool(exclude and as_flag(exclude.get("no_run"), "no_run"))

    def run(self, unit_dir: Path, command: str, args: list[str]) -> None:
        """Run `command` in the unit; UnitFailed (or the reader's error) when it fails."""
        config = self.read(unit_dir, command)
        if self.early_exit(config, command):
            print(
                f"Early exit in terragrunt unit {unit_dir} due to exclude block with no_run = true",
                file=self.err,
            )
            return
        self.graph([unit_dir])
        try:
            workdir = working_copy(unit_dir, config)
        except SourceDownloadError as error:
            self._error_hooks(config, "init-from-module", unit_dir, str(error))
            raise
        env = self._terraform_env(config, workdir, unit_dir)
        if command == "backend" and args[:1] == ["bootstrap"]:  # `terragrunt backend bootstrap`
            self._bootstrap(config, env, unit_dir, forced=True)
            return
        try:
            self._run_in(config, workdir, env, unit_dir, command, args)
        except (CounterStackError, EvaluationError) as error:
            self._error_hooks(config, command, workdir, str(error))
            raise
        finally:
            self.outputs_cache.pop(unit_dir, None)

    def _error_hooks(self, config: Config, command: str, workdir: Path, message: str) -> None:
        try:
            run_hooks(
                config, "error_hook", command, workdir, self.env, self.out, self.err, failed=message
            )
        except (CounterStackError, EvaluationError) as error:
            print(f"ERROR {error}", file=self.err)

    def _run_in(
        self,
        config: Config,
        workdir: Path,
        env: dict[str, str],
        unit_dir: Path,
        command: str,
        args: list[str],
    ) -> None:
        inputs = plain(config.get("inputs") or {})
        self._bootstrap(config, env, unit_dir)
        if command != "init":
            self._init_if_needed(config, workdir, env)
        run_hooks(config, "before_hook", command, workdir, env, self.out, self.err)
        null_vars = write_null_vars(inputs, workdir)
        try:
            tf_env = tf_var_env(inputs, env, workdir)
            result = self._terraform([command, *args], workdir, tf_env)
        finally:
            if null_vars is not None:
                null_vars.unlink(missing_ok=True)
        if result.returncode != 0:
            message = f"terraform {command} failed in {unit_dir} (exit {result.returncode})"
            run_hooks(
                config, "after_hook", command, workdir, env, self.out, self.err, failed=message
            )
            raise UnitFailed(f"{message}: {result.stderr.strip()[-2000:]}")
        run_hooks(config, "after_hook", command, workdir, env, self.out, self.err)


def _init_digest(workdir: Path, args: list[str]) -> str:
    """What `init` depends on: its args and the copy's Terraform files (backend, providers)."""
    digest = hashlib.sha256("\0".join(args).encode())
    for tf in sorted(workdir.glob("*.tf")):
        digest.update(tf.name.encode() + b"\0" + tf.read_bytes())
    return digest.hexdigest()


def excluded_by(config: Config, command: str) -> dict[str, Any] | None:
    """The unit's exclude block when it applies to `command`, else None."""
    if "exclude" not in config:
        return None
    exclude = plain(config["exclude"])
    if as_flag(exclude.get("if", False), "exclude if") is not True:
        return None
    actions = exclude.get("actions") or []
    if "all" in actions or ("all_except_output" in actions and command != "output"):
        return exclude
    return exclude if command in actions else None
