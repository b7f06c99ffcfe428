"""A real AWS account seen through the same helpers as the local one (`AccountClient`).

The account tests take an `AccountClient`: `RemoteAccount` on the local target, `AwsAccount` on
`--target aws`, so a test that claims AWS behaviour checks the emulator against the real thing.
With the standard `AWS_ENDPOINT_URL` set, boto3, Terraform and the aws provider already go to that
endpoint; only the execute-api URLs need it too, and they take LocalStack's path form
(`<endpoint>/_aws/execute-api/<id>/<stage>/...`): that is how `.ci/run` rehearses the nightly jobs.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3

from counterstack.local.apigateway import urls
from counterstack.local.client import AccountClient
from counterstack.terraform_cli import ENDPOINT_ENV

T = TypeVar("T")
SETTLE_SECONDS = 60.0  # API Gateway deploys a stage change within seconds, not instantly


def endpoint_override() -> str | None:
    """The standard `AWS_ENDPOINT_URL`, when an AWS-compatible endpoint stands in for AWS."""
    return os.environ.get(ENDPOINT_ENV, "").rstrip("/") or None


class AwsAccount(AccountClient):
    """The account of the default credential chain, in `region`."""

    settles = True  # changes reach the data plane after a while; see `eventually`

    def __init__(self, region: str) -> None:
        self.region = region
        self.endpoint = endpoint_override() or ""  # "": SDKs and URLs use AWS's own endpoints

    @functools.cached_property
    def _account_id(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]

    @property
    def account_id(self) -> str:
        return self._account_id

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client of the default credential chain."""
        return boto3.client(service, region_name=region or self.region)

    def execute_api_url(self, api_id: str, stage: str = "$default", path: str = "/") -> str:
        """The API's own URL (`$default` has no stage segment), or its path form at the endpoint."""
        if self.endpoint:
            return urls.execute_api_url(self.endpoint, api_id, stage, path)
        stage_part = "" if stage in ("$default", "") else "/" + stage.strip("/")
        host = f"https://{api_id}.execute-api.{self.region}.amazonaws.com"
        return f"{host}{stage_part}/{path.lstrip('/')}"

    def local_url(self, invoke_url: str) -> str:
        """On AWS the invoke URL is the URL to call; at an endpoint, its path form there."""
        return urls.local_url(invoke_url, self.endpoint) if self.endpoint else invoke_url

    def eventually(
        self, attempt: Callable[[], T], done: Callable[[T], bool], timeout: float = SETTLE_SECONDS
    ) -> T:
        """Repeat `attempt` until `done` says its result is the settled one, or time is up."""
        deadline = time.monotonic() + timeout
        while True:
            result = attempt()
            if done(result) or time.monotonic() > deadline:
                return result
            time.sleep(2)
