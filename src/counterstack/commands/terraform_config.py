"""`counterstack terraform-config`: write the project's Terraform CLI config, print its path.

For running Terraform by hand the way the harness does (provider from the on-disk mirror):
`export TF_CLI_CONFIG_FILE="$(counterstack terraform-config)"`.
"""

import argparse

from counterstack.terraform_cli import ensure_cli_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "terraform-config",
        help="write the Terraform CLI config (provider mirror when found) and print its path",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(ensure_cli_config())
    return 0
