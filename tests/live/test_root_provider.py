"""The provider the root generates, rendered by Terraform itself and validated by the aws provider.

Terragrunt renders `generate "provider"` with the same HCL template engine Terraform uses, so
Terraform can render the root's template here (no Terragrunt needed) for both targets; the result
must then pass `terraform validate` with hashicorp/aws, and in local mode plan a module against a
local moto server with fake credentials (the account lookup included).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from counterstack.hcl_syntax import hcl_value
from counterstack.paths import MODULES_DIR, REPO_ROOT
from counterstack.terraform_cli import terraform_env
from counterstack.terragrunt.config import Run
from counterstack.terragrunt.hcl import block, load_hcl
from counterstack.terragrunt.unit import render

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not on PATH"),
]

ROOT = REPO_ROOT / "terragrunt.hcl"
HEREDOC = re.compile(r'generate "provider" \{.*?contents\s*=\s*(<<-?EOF\n.*?\n\s*EOF)\n', re.S)


def run_terraform(args: list[str], cwd: Path) -> str:
    result = subprocess.run(
        ["terraform", *args],
        cwd=cwd,
        env={**os.environ, **terraform_env()},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"terraform {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


LOCAL_ACCOUNT = "123456789012"  # the root's local_account_id default
STS_ACCOUNT = "444455556666"  # what get_aws_account_id() answers in these renders


def render_provider(workdir: Path, *, endpoint: str, account_id: str, environment: str) -> str:
    """The root's provider template with the root's locals, evaluated by Terraform.

    `local.account_id` is the root's: the local account in local mode, else env.hcl's pinned id,
    else the account of the credentials (STS_ACCOUNT here).
    """
    template = HEREDOC.search(ROOT.read_text()).group(1)
    root_locals = block(load_hcl(ROOT), "locals")
    services = [s.strip('"') for s in root_locals["local_services"]]
    project = root_locals["project"].strip('"')
    env = {"aws_region": "eu-west-1", "aws_account_id": account_id, "environment": environment}
    state_account = LOCAL_ACCOUNT if endpoint else (account_id or STS_ACCOUNT)
    workdir.mkdir()
    (workdir / "main.tf").write_text(
        "locals {\n"
        f"  env            = {hcl_value(env)}\n"
        f"  endpoint       = {hcl_value(endpoint)}\n"
        f"  is_local       = {hcl_value(endpoint != '')}\n"
        f"  project        = {hcl_value(project)}\n"
        f"  local_services = {hcl_value(services)}\n"
        f"  account_id     = {hcl_value(state_account)}\n"
        "}\n\n"
        f'output "provider" {{\n  value = {template}\n}}\n'
    )
    run_terraform(["init", "-input=false"], workdir)
    run_terraform(["apply", "-auto-approve", "-input=false"], workdir)
    return run_terraform(["output", "-raw", "provider"], workdir)


def module_with_provider(workdir: Path, provider: str) -> Path:
    shutil.copytree(MODULES_DIR / "dynamodb", workdir)
    (workdir / "provider.tf").write_text(provider)
    run_terraform(["init", "-input=false", "-backend=false"], workdir)
    return workdir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_aws_provider_pins_the_account_and_tags_everything(tmp_path: Path):
    provider = render_provider(
        tmp_path / "render", endpoint="", account_id="111122223333", environment="prod"
    )
    assert 'allowed_account_ids = ["111122223333"]' in provider
    assert "endpoints" not in provider and "access_key" not in provider
    for tag in ('project      = "visitor-counter"', 'environment  = "prod"', '"managed-by" = '):
        assert tag in provider
    run_terraform(["validate"], module_with_provider(tmp_path / "module", provider))


def test_aws_provider_without_a_pinned_account_allows_the_state_buckets_account(tmp_path: Path):
    provider = render_provider(tmp_path / "render", endpoint="", account_id="", environment="dev")
    assert f'allowed_account_ids = ["{STS_ACCOUNT}"]' in provider
    run_terraform(["validate"], module_with_provider(tmp_path / "module", provider))


def test_local_provider_plans_against_a_local_endpoint_with_fake_credentials(tmp_path: Path):
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    provider = render_provider(
        tmp_path / "render", endpoint=endpoint, account_id="111122223333", environment="dev"
    )
    # The local account, not the pinned one: the guard is on in the rehearsal too.
    assert f'allowed_account_ids = ["{LOCAL_ACCOUNT}"]' in provider
    assert "skip_requesting_account_id" not in provider
    assert f'dynamodb = "{endpoint}"' in provider and f'sts = "{endpoint}"' in provider
    module = module_with_provider(tmp_path / "module", provider)
    run_terraform(["validate"], module)

    moto = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if moto is None:
        pytest.skip("moto_server not installed: cannot plan against a local endpoint")
    server = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.2)
        clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        result = subprocess.run(
            ["terraform", "plan", "-no-color", "-input=false", "-var", "name=render-check"],
            cwd=module,
            env={**clean, **terraform_env()},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "aws_dynamodb_table.this will be created" in result.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("endpoint", ["", "http://127.0.0.1:4566"], ids=["aws", "local"])
def test_our_reading_renders_the_provider_as_terraform_does(tree: Path, tmp_path: Path, endpoint):
    """The template engine that composes units (terragrunt.expressions) agrees with Terraform's."""
    env_hcl = tree / "live" / "prod" / "env.hcl"
    env_hcl.write_text(
        env_hcl.read_text().replace('aws_account_id = ""', 'aws_account_id = "111122223333"')
    )
    env = {"COUNTERSTACK_ENDPOINT": endpoint} if endpoint else {}
    run = Run(command="validate", env=env, repo_root=tree)
    ours = render(tree / "live" / "prod" / "dynamodb", run)["generate"]["provider"]["contents"]
    theirs = render_provider(
        tmp_path / "render", endpoint=endpoint, account_id="111122223333", environment="prod"
    )
    assert ours == theirs
