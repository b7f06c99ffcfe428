"""What a test or a tool can do with a local account from outside: clients, URLs, inventory.

`LocalAccount` (in this process) and `RemoteAccount` (an account served by another process,
e.g. `counterstack account` started by the harness) share these helpers; the remote one reaches
the account's control endpoints over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from counterstack.local.apigateway import urls
from counterstack.local.provider import FAKE_ACCESS_KEY, FAKE_SECRET_KEY

T = TypeVar("T")
# The one account the local account is: moto's default (tests/unit/test_single_sources.py ties
# them). Kept here, not imported from moto, so a client of the account does not load moto.
ACCOUNT_ID = "123456789012"
DEFAULT_PORT = 4566  # the local account's port, LocalStack's: AWS_ENDPOINT_URL examples use it
HEALTH_PATH = "/_counterstack/health"
RESET_PATH = "/_counterstack/reset"


class AccountClient:
    """Helpers over an account's `endpoint` and `region` (set by the subclass)."""

    endpoint: str
    region: str
    settles = False  # the local account serves a change from the next request on

    @property
    def account_id(self) -> str:
        return ACCOUNT_ID

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client for this account (fake credentials, this endpoint)."""
        import boto3

        return boto3.client(
            service,
            region_name=region or self.region,
            endpoint_url=self.endpoint,
            aws_access_key_id=FAKE_ACCESS_KEY,
            aws_secret_access_key=FAKE_SECRET_KEY,
        )

    def execute_api_url(self, api_id: str, stage: str = "$default", path: str = "/") -> str:
        """Path-style data-plane URL of an HTTP API stage."""
        return urls.execute_api_url(self.endpoint, api_id, stage, path)

    def local_url(self, invoke_url: str) -> str:
        """The local twin of an AWS-style invoke URL (`https://<id>.execute-api.<r>...`)."""
        return urls.local_url(invoke_url, self.endpoint)

    def eventually(self, attempt: Callable[[], T], done: Callable[[T], bool]) -> T:
        """One attempt here (a change is served at once); `AwsAccount` waits for it to settle."""
        return attempt()

    def inventory(self, region: str | None = None) -> dict[str, list[str]]:
        """Every resource of the kinds the stack creates (the leak check lists these)."""
        region = region or self.region
        iam = self.client("iam", region)
        return {
            "dynamodb_tables": self.client("dynamodb", region).list_tables()["TableNames"],
            "lambda_functions": [
                f["FunctionName"]
                for f in self.client("lambda", region).list_functions()["Functions"]
            ],
            "iam_roles": [r["RoleName"] for r in iam.list_roles()["Roles"]],
            "iam_policies": [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]],
            "http_apis": [
                a["ApiId"] for a in self.client("apigatewayv2", region).get_apis()["Items"]
            ],
            "log_groups": [
                g["logGroupName"]
                for g in self.client("logs", region).describe_log_groups()["logGroups"]
            ],
            "s3_buckets": [b["Name"] for b in self.client("s3", region).list_buckets()["Buckets"]],
        }


class RemoteAccount(AccountClient):
    """An account served by another process, driven through its endpoint."""

    def __init__(self, endpoint: str, region: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.region = region

    @property
    def port(self) -> int:
        return urlsplit(self.endpoint).port or 80

    def health(self) -> dict:
        response = requests.get(self.endpoint + HEALTH_PATH, timeout=5)
        response.raise_for_status()
        return response.json()

    def worker_count(self) -> int:
        """Live Lambda worker processes of the account."""
        return self.health()["workers"]

    def reset(self) -> None:
        """Forget every resource, fault rule and worker."""
        requests.post(self.endpoint + RESET_PATH, timeout=30).raise_for_status()
