"""Plan a module or example offline and summarise the plan, in the spirit of Fabric's fixtures.

`plan_summary(module_dir, tmp_dir, **variables)` copies the root into its own folder (so xdist
workers never share a `.terraform`), writes a provider with fake credentials, runs tftest init +
plan with every service pointed at a local moto server through `AWS_ENDPOINT_URL` (the aws
provider resolves `aws_caller_identity` through STS even at plan time) and returns the planned
values, counts and outputs. Nothing leaves the machine. Given a SharedProvider (started with the
same `AWS_ENDPOINT_URL`), init, plan and show reattach to it instead of each starting the aws
provider: a plan then takes ~4 s instead of ~9 s.
"""

import atexit
import json
import re
import shutil
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tftest

from counterstack.credentials import DEFAULT_REGION
from counterstack.harness.provider_process import SharedProvider, reattached
from counterstack.local.provider import provider_override
from counterstack.local.transport.moto_server import MotoServer
from counterstack.paths import MODULES_DIR, REPO_ROOT
from counterstack.terraform_cli import ENDPOINT_ENV, apply_terraform_env

PROVIDER_FILE = "counterstack_provider.tf"
PROVIDER_OVERRIDE_FILE = "counterstack_provider_override.tf"
VARS_FILE = "counterstack.auto.tfvars.json"
COPY_IGNORE = shutil.ignore_patterns(
    ".terraform",
    ".terraform.lock.hcl",
    "*.tfstate",
    "*.tfstate.*",
    "*_override.tf",
    "*.tfvars",
    "*.tfvars.json",
    ".terragrunt-cache",
)
_PROVIDER_BLOCK = re.compile(r'^\s*provider\s+"aws"\s*\{', re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def terraform_output(error: tftest.TerraformTestError) -> str:
    """Terraform's own words in a tftest error, without colour codes."""
    return _ANSI.sub("", str(error.args[0]) if error.args else str(error))


class PlanError(Exception):
    """`terraform plan` failed; `output` holds Terraform's own words (validation errors etc.)."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class PlanSummary:
    """What a plan would do: values by address, counts by type, outputs, raw changes."""

    values: dict[str, dict[str, Any]]
    counts: dict[str, int]
    outputs: dict[str, Any]
    resource_changes: dict[str, dict[str, Any]]
    configuration: dict[str, Any] = field(repr=False)
    data: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    """Data sources read while planning (e.g. `data.aws_region.current`), by address."""

    def is_unknown(self, address: str, *path: str | int) -> bool:
        """True when the attribute at `path` of `address` is only known after apply."""
        node: Any = self.resource_changes[address]["change"]["after_unknown"]
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return False
        return node is True

    def output_is_unknown(self, name: str) -> bool:
        """True when output `name` is only known after apply."""
        return self.outputs[name] is UNKNOWN

    def expression(self, address: str, *path: str | int) -> dict[str, Any]:
        """The configuration expression of an attribute: `{"references": [...]}` or a constant."""
        node: Any = _resource_config(self.configuration["root_module"], address)["expressions"]
        for key in path:
            node = node[key]
        return node

    def references(self, address: str, *path: str | int) -> list[str]:
        """What the attribute's expression refers to, e.g. `["aws_iam_role.this.arn", ...]`."""
        return list(self.expression(address, *path).get("references", []))


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"  # unpickles to the same sentinel, so `is UNKNOWN` survives xdist caches


UNKNOWN = _Unknown()
"""Value of an output that is known only after apply."""


def _resource_config(module: Mapping[str, Any], address: str) -> Mapping[str, Any]:
    """The configuration block of `address` (instance keys ignored), walking module calls."""
    parts = re.sub(r"\[[^\]]*\]", "", address).split(".")
    while parts[0] == "module":
        module = module["module_calls"][parts[1]]["module"]
        parts = parts[2:]
    wanted = ".".join(parts)
    for resource in module.get("resources", []):
        if resource["address"] == wanted:
            return resource
    raise KeyError(f"{address} is not in the plan's configuration")


def _layout_path(root: Path) -> Path:
    """Where `root` sits in a copy: its place in the repo, or two levels deep (like examples/x)."""
    root = root.resolve()
    if root.is_relative_to(REPO_ROOT):
        return root.relative_to(REPO_ROOT)
    return Path(root.parent.name) / root.name


def prepare_copy(module_dir: Path, tmp_dir: Path, region: str = DEFAULT_REGION) -> Path:
    """Copy a root or module into `tmp_dir` and add a provider with fake credentials.

    The repository's `modules/` is copied alongside, in the same layout, so relative sources
    (`../../modules/lambda`) resolve. A module gets a provider file; a root that already
    configures `aws` gets an override file instead, which keeps its own region (`var.region`).
    """
    tmp_dir = Path(tmp_dir)
    shutil.copytree(MODULES_DIR, tmp_dir / MODULES_DIR.name, ignore=COPY_IGNORE)
    relative = _layout_path(Path(module_dir))
    target = tmp_dir / relative
    if not target.exists():
        shutil.copytree(module_dir, target, ignore=COPY_IGNORE)
    has_provider = any(_PROVIDER_BLOCK.search(tf.read_text()) for tf in target.glob("*.tf"))
    if has_provider:
        (target / PROVIDER_OVERRIDE_FILE).write_text(provider_override(None, region=None))
    else:
        (target / PROVIDER_FILE).write_text(provider_override(None, region=region))
    return target


def summarise(raw: Mapping[str, Any]) -> PlanSummary:
    """Fabric's plan summary of `terraform show -json`: values by resource address, counts by
    type, outputs."""
    values: dict[str, dict[str, Any]] = {}
    counts: Counter[str] = Counter()

    def walk(module: Mapping[str, Any]) -> None:
        for resource in module.get("resources", []):
            if resource.get("mode") == "managed":
                values[resource["address"]] = resource.get("values", {})
                counts[resource["type"]] += 1
                counts["resources"] += 1
        for child in module.get("child_modules", []):
            counts["modules"] += 1
            walk(child)

    walk(raw.get("planned_values", {}).get("root_module", {}))
    data: dict[str, dict[str, Any]] = {}

    def walk_data(module: Mapping[str, Any]) -> None:
        for resource in module.get("resources", []):
            if resource.get("mode") == "data":
                data[resource["address"]] = resource.get("values", {})
        for child in module.get("child_modules", []):
            walk_data(child)

    walk_data(raw.get("prior_state", {}).get("values", {}).get("root_module", {}))
    outputs = {
        name: output.get("value", UNKNOWN)
        for name, output in raw.get("planned_values", {}).get("outputs", {}).items()
    }
    return PlanSummary(
        values=values,
        counts=dict(counts),
        outputs=outputs,
        resource_changes={change["address"]: change for change in raw.get("resource_changes", [])},
        configuration=raw.get("configuration", {}),
        data=data,
    )


def plan_summary(
    module_dir: Path | str,
    tmp_dir: Path | str,
    *,
    endpoint: str | None = None,
    provider_region: str = DEFAULT_REGION,
    provider: SharedProvider | None = None,
    **variables: Any,
) -> PlanSummary:
    """Plan `module_dir` with `variables` in a private copy under `tmp_dir` and summarise it.

    `endpoint` is the local AWS server (default: one started for this process); a failing plan
    raises PlanError whose `output` holds Terraform's messages. `provider`, if given, must have
    been started with `endpoint` as its AWS_ENDPOINT_URL.
    """
    copy = prepare_copy(Path(module_dir), Path(tmp_dir), region=provider_region)
    (copy / VARS_FILE).write_text(json.dumps(variables))
    return summarise(show_plan(copy, Path(module_dir).name, endpoint=endpoint, provider=provider))


def show_plan(
    root: Path, label: str, *, endpoint: str | None = None, provider: SharedProvider | None = None
) -> dict[str, Any]:
    """`terraform show -json` of a fresh plan of `root` (tftest's init + plan) against `endpoint`
    (default: this process's moto server), reattached to `provider` if given; a failing plan
    raises PlanError naming `label`, with Terraform's messages as its `output`."""
    apply_terraform_env()  # before TerraformTest: it snapshots os.environ
    endpoint = endpoint or default_endpoint()
    try:
        with reattached(provider) as reattach:
            env = {ENDPOINT_ENV: endpoint, **reattach}
            tf = tftest.TerraformTest(str(root), binary="terraform", env=env)
            tf.setup(cleanup_on_exit=False)
            return tf.plan(output=True)._raw
    except tftest.TerraformTestError as error:
        output = terraform_output(error)
        raise PlanError(f"terraform plan of {label} failed:\n{output}", output) from None


def plan_error(module_dir: Path | str, tmp_dir: Path | str, **kwargs: Any) -> str:
    """Plan expecting failure and return Terraform's error text; AssertionError if it passes."""
    try:
        plan_summary(module_dir, tmp_dir, **kwargs)
    except PlanError as error:
        return error.output
    raise AssertionError(f"plan of {module_dir} succeeded but was expected to fail")


@contextmanager
def local_aws_server(host: str = "127.0.0.1") -> Iterator[str]:
    """A moto server on a free loopback port for as long as the block runs; yields its URL."""
    server = MotoServer(host).start()
    try:
        yield server.url
    finally:
        server.stop()


_default_server: MotoServer | None = None
_default_lock = threading.Lock()


def default_endpoint() -> str:
    """The URL of a moto server shared by this process, started on first use."""
    global _default_server
    with _default_lock:
        if _default_server is None:
            _default_server = MotoServer().start()
            atexit.register(_default_server.stop)
        return _default_server.url


_VALIDATION_ERROR = re.compile(
    # var.<name> is ..., or var.<name>.<attribute> is ... for a rule on an object's attributes
    r"│ var\.(?P<name>\w+)(?:\.\w+)* is .*?\n\n(?P<message>.*?)\n\n"
    r"This was checked by the validation rule",
    re.DOTALL,
)


def validation_messages(output: str) -> dict[str, list[str]]:
    """The `error_message`s of failed validation rules in Terraform's output, by variable."""
    messages: dict[str, list[str]] = {}
    for match in _VALIDATION_ERROR.finditer(output):
        text = " ".join(match["message"].split())  # Terraform wraps long messages
        messages.setdefault(match["name"], []).append(text)
    return messages
