"""The project's own Terraform CLI configuration.

Offline machines carry hashicorp/aws as an unpacked filesystem mirror somewhere on disk; the
config installs the provider from there when one exists and from the registry otherwise. The
mirror is found at run time (never hard-coded) and the config written to the project's cache.
"""

import os
from functools import lru_cache
from pathlib import Path

from counterstack.paths import REPO_ROOT

PROVIDER = "registry.terraform.io/hashicorp/aws"
# Every AWS service's endpoint, for the aws provider 5.x and the AWS SDKs. The harness points
# the provider at a local account with it rather than an `endpoints` block, with which the
# provider spends ~2 s validating its configuration on every ConfigureProvider.
ENDPOINT_ENV = "AWS_ENDPOINT_URL"
CONFIG_PATH = REPO_ROOT / ".cache" / "terraform.rc"
MIRROR_ENV = "COUNTERSTACK_PROVIDER_MIRROR"
# Where mirrors usually live; a full search of the filesystem is the fallback.
LIKELY_ROOTS = (
    Path.home() / ".terraform.d" / "plugins",
    Path.home() / ".local" / "share" / "terraform" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
    Path("/opt"),
)
SKIP_DIRS = {"/proc", "/sys", "/dev", "/run", "/tmp", "/var/lib/docker"}


def _is_mirror(path: Path) -> bool:
    return (path / PROVIDER).is_dir()


def _walk_for_mirror(root: Path, max_depth: int) -> Path | None:
    for current, dirs, _files in os.walk(root):
        if current in SKIP_DIRS or len(Path(current).relative_to(root).parts) >= max_depth:
            dirs[:] = []
        elif "registry.terraform.io" in dirs and _is_mirror(Path(current)):
            return Path(current)
    return None


@lru_cache(maxsize=1)
def find_provider_mirror() -> Path | None:
    """The folder that holds `registry.terraform.io/hashicorp/aws/...`, or None."""
    if os.environ.get(MIRROR_ENV):
        path = Path(os.environ[MIRROR_ENV])
        return path if _is_mirror(path) else None
    for root in LIKELY_ROOTS:
        if _is_mirror(root):
            return root
        if root.is_dir() and (found := _walk_for_mirror(root, max_depth=3)):
            return found
    return _walk_for_mirror(Path("/"), max_depth=6)


def render_cli_config(mirror: Path | None) -> str:
    """HCL of the CLI config: the mirror for hashicorp/aws when there is one, else the registry."""
    if mirror is None:
        return "provider_installation {\n  direct {}\n}\n"
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        f'    include = ["{PROVIDER}"]\n'
        "  }\n"
        "  direct {\n"
        f'    exclude = ["{PROVIDER}"]\n'
        "  }\n"
        "}\n"
    )


def ensure_cli_config() -> Path:
    """Write the CLI config (only when its content changes) and return its path."""
    text = render_cli_config(find_provider_mirror())
    if not CONFIG_PATH.is_file() or CONFIG_PATH.read_text() != text:
        CONFIG_PATH.parent.mkdir(parents=True, exist_ok=True)
        temporary = CONFIG_PATH.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text)
        temporary.replace(CONFIG_PATH)
    return CONFIG_PATH


def terraform_env() -> dict[str, str]:
    """Environment variables every Terraform run of the project uses."""
    return {
        "TF_CLI_CONFIG_FILE": str(ensure_cli_config()),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }


def apply_terraform_env() -> None:
    """Export `terraform_env()` into this process (tftest runs terraform as a child)."""
    os.environ.update(terraform_env())
