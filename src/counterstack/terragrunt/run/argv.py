"""Terragrunt 1.x's command line, as far as this runner follows it.

`terragrunt run [--all] [flags] -- <terraform command and args>`, and the shortcuts
`terragrunt <plan|apply|...> [args]`. Flags start with `--`; a single-dash word is Terraform's
(`-auto-approve`). An unknown `--flag` is refused, so nothing is silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from counterstack.errors import CounterStackError

# Flags that take a value, and the Request field each fills.
VALUED = {
    "--log-level": "log_level",
    "--log-format": "log_format",
    "--report-file": "report_file",
    "--report-format": "report_format",
    "--working-dir": "working_dir",
}
SWITCHES = {
    "--all": "all",
    "--non-interactive": "non_interactive",
    "--no-color": "no_color",
    "--queue-exclude-external": "exclude_external",
    "--tf-forward-stdout": "forward_stdout",
    "--backend-bootstrap": "backend_bootstrap",
    "--no-auto-approve": "no_auto_approve",
    "--fail-fast": "fail_fast",
    "--disable-bucket-update": "disable_bucket_update",
    "--fail-on-state-bucket-creation": "fail_on_state_bucket_creation",
}


@dataclass
class Request:
    """One invocation: the Terraform command and its args, and Terragrunt's flags."""

    command: str = ""
    args: list[str] = field(default_factory=list)
    all: bool = False
    non_interactive: bool = False
    no_color: bool = False
    exclude_external: bool = False
    forward_stdout: bool = False
    backend_bootstrap: bool = False
    no_auto_approve: bool = False
    fail_fast: bool = False
    disable_bucket_update: bool = False
    fail_on_state_bucket_creation: bool = False
    log_level: str = "info"
    log_format: str = ""
    report_file: str = ""
    report_format: str = "json"
    working_dir: str = ""
    features: dict[str, str] = field(default_factory=dict)

    @property
    def destroy(self) -> bool:
        """A destroy runs dependents first (`destroy`, `apply -destroy`, `plan -destroy`)."""
        return self.command == "destroy" or "-destroy" in self.args


def parse(argv: list[str]) -> Request:
    """The request `argv` (the words after `terragrunt`) makes; CounterStackError if unknown."""
    request = Request()
    words = list(argv)
    if words[:1] == ["run"]:
        words = words[1:]
    terraform: list[str] = []
    while words:
        word = words.pop(0)
        if word == "--":
            terraform += words
            break
        name, has_value, value = word.partition("=")
        if name in VALUED:
            if not has_value:
                if not words:
                    raise CounterStackError(f"terragrunt: {name} needs a value")
                value = words.pop(0)
            setattr(request, VALUED[name], value)
        elif name == "--feature":
            value = value if has_value else (words.pop(0) if words else "")
            key, equals, flag = value.partition("=")
            if not equals:
                raise CounterStackError(f"terragrunt: --feature takes name=value, not {value!r}")
            request.features[key] = flag
        elif name in SWITCHES:
            setattr(request, SWITCHES[name], True)
        elif word.startswith("--"):
            raise CounterStackError(f"terragrunt: flag {word} is not one this runner knows")
        else:
            terraform.append(word)
    commands = [word for word in terraform if not word.startswith("-")]
    if not commands:
        raise CounterStackError("terragrunt: no Terraform command given")
    at = terraform.index(commands[0])
    request.command, request.args = commands[0], terraform[:at] + terraform[at + 1 :]
    return request
