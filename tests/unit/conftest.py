"""Unit fixtures: the handler is imported from the built zip, so what is tested is what ships."""

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from counterstack.build import build_package

TABLE = "unit-visitors"
REGION = "eu-west-1"


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory):
    """The deployable zip, built once per session."""
    return build_package(tmp_path_factory.mktemp("package") / "visitor_counter.zip")


@pytest.fixture(scope="session")
def handler_module(package):
    """`visitor_counter.handler` imported from inside the zip (zipimport), not from lambda/."""
    sys.path.insert(0, str(package.path))
    for name in [n for n in sys.modules if n.split(".")[0] == "visitor_counter"]:
        del sys.modules[name]
    module = importlib.import_module("visitor_counter.handler")
    assert Path(module.__file__).is_relative_to(package.path), module.__file__
    yield module
    sys.path.remove(str(package.path))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh moto account with fake credentials; nothing can reach real AWS."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # Imported here: the patches load moto's API Gateway (~0.6 s), which xdist's controller and
    # the tests without `aws` never need.
    from counterstack.local.patches import atomic_dynamodb_writes

    atomic_dynamodb_writes.install()  # as the real service is (see the patch's docstring)
    with mock_aws():
        yield


@pytest.fixture
def table(aws, handler_module, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The counter table, named in TABLE_NAME; the handler's cached client is reset around it."""
    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("TABLE_NAME", TABLE)
    handler_module.dynamodb_client.cache_clear()
    yield TABLE
    handler_module.dynamodb_client.cache_clear()


@pytest.fixture(scope="session")
def http_event():
    """Factory of payload 2.0 events: `http_event(method, path, stage)`."""
    return make_http_event


def make_http_event(method: str = "GET", path: str = "/visitors", stage: str = "prod") -> dict:
    """A minimal API Gateway HTTP API payload 2.0 event, as the gateway sends it."""
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    route_key = f"{method} {path}" if (method, path) == ("GET", "/visitors") else "$default"
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {"host": "example.execute-api.eu-west-1.amazonaws.com"},
        "requestContext": {
            "apiId": "example",
            "stage": stage,
            "requestId": "req-123",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1"},
        },
        "isBase64Encoded": False,
    }
