"""The handler's contract: counts, error statuses, JSON bodies, never a traceback."""

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

pytestmark = pytest.mark.unit


class Context:
    aws_request_id = "ctx-request-id"


def body(response: dict) -> dict:
    return json.loads(response["body"])


def assert_json_response(response: dict, status: int) -> dict:
    assert response["statusCode"] == status
    assert response["headers"]["content-type"] == "application/json"
    assert response["headers"]["cache-control"] == "no-store"
    assert not any(h.lower().startswith("access-control-") for h in response["headers"])
    assert "Traceback" not in response["body"]
    return body(response)


def test_counts_go_up_by_one(handler_module, table, http_event):
    counts = [
        assert_json_response(handler_module.handler(http_event(), Context()), 200)["count"]
        for _ in range(3)
    ]
    assert counts == [1, 2, 3]
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "visitors"}})
    assert item["Item"]["count"] == {"N": "3"}


def test_default_stage_path_counts(handler_module, table, http_event):
    response = handler_module.handler(http_event(stage="$default"), None)
    assert assert_json_response(response, 200) == {"count": 1}


def test_concurrent_invocations_lose_no_count(handler_module, table, http_event):
    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(lambda _: handler_module.handler(http_event(), None), range(200)))
    counts = [assert_json_response(r, 200)["count"] for r in responses]
    assert sorted(counts) == list(range(1, 201))
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "visitors"}})
    assert item["Item"]["count"] == {"N": "200"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 404),
        ("GET", "/visitors/extra", 404),
        ("GET", "/other", 404),
        ("POST", "/visitors", 405),
        ("DELETE", "/visitors", 405),
    ],
)
def test_other_routes_are_rejected(handler_module, table, http_event, method, path, status):
    response = handler_module.handler(http_event(method, path), Context())
    assert_json_response(response, status)
    if status == 405:
        assert response["headers"]["allow"] == "GET"
    assert "Item" not in boto3.client("dynamodb").get_item(
        TableName=table, Key={"id": {"S": "visitors"}}
    )


BAD_EVENTS = {
    "none": None,
    "empty dict": {},
    "string": "GET /visitors",
    "list": [1, 2],
    "payload 1.0": {"version": "1.0", "httpMethod": "GET", "path": "/visitors"},
    "no requestContext": {"version": "2.0", "rawPath": "/visitors"},
    "requestContext not a dict": {"version": "2.0", "rawPath": "/visitors", "requestContext": 7},
    "no http": {"version": "2.0", "rawPath": "/visitors", "requestContext": {}},
    "method not a string": {
        "version": "2.0",
        "rawPath": "/visitors",
        "requestContext": {"http": {"method": 1}},
    },
    "empty path": {"version": "2.0", "rawPath": "", "requestContext": {"http": {"method": "GET"}}},
}


@pytest.mark.parametrize("event", BAD_EVENTS.values(), ids=BAD_EVENTS.keys())
def test_malformed_events_get_400(handler_module, table, event, capsys):
    assert assert_json_response(handler_module.handler(event, Context()), 400) == {
        "message": "Bad Request"
    }
    log = json.loads(capsys.readouterr().out.strip())
    assert log["status"] == 400
    assert log["requestId"] == "ctx-request-id"


def test_missing_table_name_is_500(handler_module, aws, http_event, monkeypatch, capsys):
    monkeypatch.delenv("TABLE_NAME", raising=False)
    response = handler_module.handler(http_event(), None)
    assert assert_json_response(response, 500) == {"message": "Internal Server Error"}
    log = json.loads(capsys.readouterr().out.strip())
    assert (log["level"], log["reason"]) == ("ERROR", "TABLE_NAME is not set")
    assert log["requestId"] == "req-123"


def test_missing_table_is_500(handler_module, aws, http_event, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    handler_module.dynamodb_client.cache_clear()
    response = handler_module.handler(http_event(), None)
    assert assert_json_response(response, 500) == {"message": "Internal Server Error"}


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected"}}, "UpdateItem")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (client_error("ProvisionedThroughputExceededException"), 503),
        (client_error("ThrottlingException"), 503),
        (client_error("RequestLimitExceeded"), 503),
        (client_error("InternalServerError"), 503),
        (client_error("ServiceUnavailable"), 503),
        (ConnectTimeoutError(endpoint_url="https://dynamodb"), 503),
        (EndpointConnectionError(endpoint_url="https://dynamodb"), 503),
        (client_error("AccessDeniedException"), 500),
        (client_error("ValidationException"), 500),
        (ValueError("unexpected"), 500),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_dynamodb_failures_map_to_json_errors(
    handler_module, table, http_event, monkeypatch, capsys, error, status
):
    def fail(**_kwargs):
        raise error

    monkeypatch.setattr(handler_module.dynamodb_client(), "update_item", fail)
    response = handler_module.handler(http_event(), Context())
    payload = assert_json_response(response, status)
    assert set(payload) == {"message"}
    assert ("retry-after" in response["headers"]) is (status == 503)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    log = json.loads(lines[0])
    assert log["status"] == status
    assert log["requestId"] == "ctx-request-id"


def test_client_is_made_once_with_timeouts_and_retry_mode(handler_module, aws):
    handler_module.dynamodb_client.cache_clear()
    client = handler_module.dynamodb_client()
    assert handler_module.dynamodb_client() is client
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (1, 2)
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}


def test_worst_case_dynamodb_call_fits_in_the_function_timeout(handler_module):
    """Retries and timeouts end before Lambda's 10 s default: the caller gets a 503, not a 500."""
    config = handler_module.CLIENT_CONFIG
    attempts = config.retries["total_max_attempts"]
    backoff = sum(min(20, 2**attempt) for attempt in range(1, attempts))  # standard mode caps
    worst = attempts * (config.connect_timeout + config.read_timeout) + backoff
    assert worst == handler_module.WORST_CASE_SECONDS
    assert worst < 10


def test_counts_in_the_item_and_attribute_the_environment_names(
    handler_module, table, http_event, monkeypatch
):
    """An adopted table may count elsewhere (a console function's item id="hits", attribute n):
    COUNTER_KEY and COUNTER_ATTRIBUTE move the count there, and it goes on from its value."""
    dynamodb = boto3.client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "hits"}, "n": {"N": "41"}})
    monkeypatch.setenv("COUNTER_KEY", "hits")
    monkeypatch.setenv("COUNTER_ATTRIBUTE", "n")
    response = handler_module.handler(http_event(), Context())
    assert assert_json_response(response, 200) == {"count": 42}
    item = dynamodb.get_item(TableName=table, Key={"id": {"S": "hits"}})["Item"]
    assert item == {"id": {"S": "hits"}, "n": {"N": "42"}}
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"id": {"S": "visitors"}})


BAD_SETTINGS = {
    "empty key": ({"COUNTER_KEY": ""}, "COUNTER_KEY must be 1-2048 bytes"),
    "blank key": ({"COUNTER_KEY": "  "}, "COUNTER_KEY must be 1-2048 bytes"),
    "key too long": ({"COUNTER_KEY": "k" * 2049}, "COUNTER_KEY must be 1-2048 bytes"),
    "empty attribute": ({"COUNTER_ATTRIBUTE": ""}, "COUNTER_ATTRIBUTE must be 1-255 bytes"),
    "attribute too long": ({"COUNTER_ATTRIBUTE": "é" * 128}, "COUNTER_ATTRIBUTE must be 1-255"),
    "attribute is the key": ({"COUNTER_ATTRIBUTE": "id"}, "cannot be the table's key attribute"),
}


@pytest.mark.parametrize(("settings", "reason"), BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_a_bad_counter_setting_is_a_500_naming_it_and_writes_nothing(
    handler_module, table, http_event, monkeypatch, capsys, settings, reason
):
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    response = handler_module.handler(http_event(), Context())
    assert assert_json_response(response, 500) == {"message": "Internal Server Error"}
    log = json.loads(capsys.readouterr().out.strip())
    assert log["level"] == "ERROR" and reason in log["reason"]
    assert boto3.client("dynamodb").scan(TableName=table)["Items"] == []


def test_a_counter_attribute_holding_a_string_is_a_500_not_a_traceback(
    handler_module, table, http_event, monkeypatch
):
    """The chosen attribute must hold a number for ADD: a string there is DynamoDB's refusal,
    answered as JSON, and the value is left as it was."""
    dynamodb = boto3.client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "hits"}, "n": {"S": "41"}})
    monkeypatch.setenv("COUNTER_KEY", "hits")
    monkeypatch.setenv("COUNTER_ATTRIBUTE", "n")
    response = handler_module.handler(http_event(), Context())
    assert assert_json_response(response, 500) == {"message": "Internal Server Error"}
    item = dynamodb.get_item(TableName=table, Key={"id": {"S": "hits"}})["Item"]
    assert item["n"] == {"S": "41"}
