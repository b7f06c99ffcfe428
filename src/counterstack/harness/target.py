"""The two targets of every test: the offline local account or a real AWS account.

A Target knows how to reach its account (boto3 clients), how to point Terraform at it (the
provider override written into each stack's copy, and the environment of its Terraform runs)
and how to reach a deployed HTTP API.

On the local target the endpoint travels as `AWS_ENDPOINT_URL` in the environment, not as an
`endpoints` block: with that block the aws provider spends ~2 s validating its configuration on
every ConfigureProvider (five times a cycle), without it ~0.1 s. The override keeps the fake
credentials, so the copy run without that variable fails at AWS's door instead of reaching it.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from counterstack.credentials import DEFAULT_REGION, checked_region
from counterstack.errors import CounterStackError
from counterstack.harness.account_process import account_process
from counterstack.local.client import AccountClient, RemoteAccount
from counterstack.terraform_cli import ENDPOINT_ENV

TARGETS = ("local", "aws")
TARGET_ENV = "COUNTERSTACK_TARGET"


@dataclass(frozen=True)
class Target:
    name: str
    region: str
    endpoint: str | None = None  # the local account's URL; None on AWS

    def client(self, service: str) -> Any:
        if self.endpoint is None:
            return boto3.client(service, region_name=self.region)
        return RemoteAccount(self.endpoint, self.region).client(service)

    def account(self) -> AccountClient:
        """Clients and URLs of this target's account (the same helpers on either target)."""
        if self.endpoint is None:
            from counterstack.harness.aws_account import AwsAccount

            return AwsAccount(self.region)
        return RemoteAccount(self.endpoint, self.region)

    def provider_override(self, default_tags: dict[str, str]) -> str:
        """HCL merged into the root's `provider "aws"` block by a `*_override.tf` file."""
        if self.endpoint is None:
            return _default_tags_override(default_tags)
        return _local_override(self.region, default_tags)

    def terraform_env(self) -> dict[str, str]:
        """Environment of this target's Terraform runs and of the provider they start."""
        return {} if self.endpoint is None else {ENDPOINT_ENV: self.endpoint}

    def reachable_url(self, url: str) -> str:
        """The URL to call for an API URL that Terraform output (local: the gateway's; aws: the
        URL itself, or its path form at `AWS_ENDPOINT_URL`)."""
        return self.account().local_url(url)


def _default_tags_override(tags: dict[str, str]) -> str:
    from counterstack.local.provider import default_tags_lines

    return "\n".join(['provider "aws" {', *default_tags_lines(tags), "}"]) + "\n"


def _local_override(region: str, tags: dict[str, str]) -> str:
    """The local provider block without endpoints: the endpoint goes in as AWS_ENDPOINT_URL."""
    from counterstack.local.provider import provider_override

    return provider_override(None, region, tags)


def selected_target_name(option: str | None = None) -> str:
    """--target wins, then COUNTERSTACK_TARGET, then local."""
    name = option or os.environ.get(TARGET_ENV) or "local"
    if name not in TARGETS:
        raise CounterStackError(f"unknown target {name!r}: choose one of {', '.join(TARGETS)}")
    return name


@contextmanager
def local_target(port: int = 0, region: str = DEFAULT_REGION) -> Iterator[Target]:
    """Start an offline account in a child process (a free port by default), stop it after."""
    with account_process(port=port, region=region) as endpoint:
        yield Target("local", region, endpoint)


def aws_target(region: str | None = None) -> Target:
    """A real account from the default credential chain, or the AWS-compatible endpoint named by
    `AWS_ENDPOINT_URL` (boto3 and Terraform honour it; the API URLs follow it through
    `AwsAccount`); fails early without credentials."""
    return Target("aws", checked_region(region))
