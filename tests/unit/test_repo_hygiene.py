"""No credentials in the repository; state, plans and caches never reach git."""

import subprocess

import pytest
from secret_scan import scan, tracked_files

from counterstack.paths import REPO_ROOT

pytestmark = pytest.mark.unit

# Built at run time so that this file itself holds nothing that looks like a credential.
FAKE_KEY_ID = "AKIA" + "Q" * 16
FAKE_SECRET = "wJalr" + "X" * 35


def test_repository_holds_no_aws_credentials():
    files = tracked_files(REPO_ROOT)
    assert len(files) > 20, "the scan saw too few files to mean anything"
    findings = scan(files)
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize(
    ("line", "kinds"),
    [
        (f"aws_access_key_id = {FAKE_KEY_ID}", ["access key id"]),
        (f'"SecretAccessKey": "{FAKE_SECRET}"', ["secret access key"]),
        (f"AWS_SECRET_ACCESS_KEY={FAKE_SECRET}", ["secret access key"]),
        ('access_key = "test"\nsecret_key = "test"', []),
        ("sha256: " + "a" * 64, []),
    ],
)
def test_scanner_flags_credentials_and_ignores_fakes(tmp_path, line, kinds):
    planted = tmp_path / "config.tf"
    planted.write_text(line + "\n")
    assert [finding.kind for finding in scan([planted])] == kinds


@pytest.mark.parametrize(
    "path",
    [
        "terraform.tfstate",
        "examples/complete/terraform.tfstate.backup",
        "live/dev/lambda/.terraform/providers/x",
        "live/dev/lambda/.terragrunt-cache/abc/main.tf",
        "examples/complete/tfplan",
        "examples/complete/plan.tfplan",
        "examples/complete/.terraform.lock.hcl",
        "examples/complete/local_override.tf",
        "build/visitor_counter.zip",
        ".venv/bin/python",
    ],
)
def test_gitignore_keeps_state_plans_and_caches_out(path):
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--quiet", path], cwd=REPO_ROOT, check=False
    )
    assert result.returncode == 0, f"{path} is not ignored by .gitignore"
