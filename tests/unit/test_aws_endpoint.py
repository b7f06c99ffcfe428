"""`--target aws` at an AWS-compatible endpoint: `AWS_ENDPOINT_URL` carries the execute-api URLs.

Without the variable the AWS path is unchanged: the API's own URL is the one to call.
"""

import pytest

from counterstack.harness.aws_account import AwsAccount
from counterstack.harness.target import Target

pytestmark = pytest.mark.unit

INVOKE_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/visitors"


def test_with_an_endpoint_api_urls_take_its_path_form(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/")
    account = AwsAccount("eu-west-1")
    expected = "http://127.0.0.1:4566/_aws/execute-api/abc123/prod/visitors"
    assert account.execute_api_url("abc123", "prod", "/visitors") == expected
    assert account.local_url(INVOKE_URL) == expected
    assert Target("aws", "eu-west-1").reachable_url(INVOKE_URL) == expected


def test_without_an_endpoint_api_urls_are_awss_own(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    account = AwsAccount("eu-west-1")
    assert account.endpoint == ""
    assert account.execute_api_url("abc123", "prod", "/visitors") == INVOKE_URL
    assert Target("aws", "eu-west-1").reachable_url(INVOKE_URL) == INVOKE_URL
