"""The project's Terraform CLI config: on-disk provider mirror when present, registry otherwise."""

import pytest

from counterstack import terraform_cli

pytestmark = pytest.mark.unit


def make_mirror(root):
    (root / terraform_cli.PROVIDER / "5.100.0" / "linux_amd64").mkdir(parents=True)
    return root


def test_mirror_found_through_env(tmp_path, monkeypatch):
    mirror = make_mirror(tmp_path / "plugins")
    monkeypatch.setenv(terraform_cli.MIRROR_ENV, str(mirror))
    terraform_cli.find_provider_mirror.cache_clear()
    try:
        assert terraform_cli.find_provider_mirror() == mirror
    finally:
        terraform_cli.find_provider_mirror.cache_clear()


def test_walk_finds_nested_mirror(tmp_path):
    mirror = make_mirror(tmp_path / "a" / "b")
    assert terraform_cli._walk_for_mirror(tmp_path, max_depth=4) == mirror
    assert terraform_cli._walk_for_mirror(tmp_path, max_depth=1) is None


def test_config_installs_aws_from_mirror_only(tmp_path):
    text = terraform_cli.render_cli_config(tmp_path)
    assert f'path    = "{tmp_path}"' in text
    assert f'include = ["{terraform_cli.PROVIDER}"]' in text
    assert f'exclude = ["{terraform_cli.PROVIDER}"]' in text


def test_config_without_mirror_uses_registry():
    assert terraform_cli.render_cli_config(None) == "provider_installation {\n  direct {}\n}\n"


def test_env_points_terraform_at_the_project_config():
    env = terraform_cli.terraform_env()
    assert env["TF_CLI_CONFIG_FILE"] == str(terraform_cli.CONFIG_PATH)
    assert terraform_cli.CONFIG_PATH.read_text().startswith("provider_installation")


def test_cli_prints_the_config_path(capsys):
    from counterstack.cli import main

    assert main(["terraform-config"]) == 0
    assert capsys.readouterr().out.strip() == str(terraform_cli.CONFIG_PATH)
