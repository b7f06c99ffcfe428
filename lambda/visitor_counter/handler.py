"""API Gateway HTTP API (payload 2.0) handler for the visitor counter.

`GET /visitors` adds 1 to one DynamoDB item and answers `{"count": N}`. Every other outcome is a
JSON error response: no exception escapes, no body carries a traceback. CORS is deliberately not
handled here: the HTTP API's CORS configuration owns it, and headers from the function would
mask a wrong API configuration.
"""

import json
import os
import sys
import time
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

# Where the count lives: the item whose key `id` is COUNTER_KEY, in its attribute COUNTER_ATTRIBUTE
# (both from the environment, defaulting to the seed's item). An adopted table may count elsewhere.
KEY_ATTRIBUTE = "id"
DEFAULT_COUNTER_KEY = "visitors"
DEFAULT_COUNTER_ATTRIBUTE = "count"
# DynamoDB's limits: a partition key value of 1-2048 bytes, an attribute name of 1-255 bytes.
MAX_KEY_BYTES, MAX_ATTRIBUTE_BYTES = 2048, 255
ROUTE_PATH = "/visitors"
ROUTE_METHOD = "GET"
RETRY_AFTER_SECONDS = "1"

# DynamoDB answers these when it is overloaded or briefly unavailable: the client may retry.
UNAVAILABLE_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
UNAVAILABLE_TRANSPORT_ERRORS = (
    ConnectTimeoutError,
    ReadTimeoutError,
    EndpointConnectionError,
    ConnectionClosedError,
)

# Bounded so the caller gets our 503, not a Lambda timeout: at worst 2 attempts x (1 s connect +
# 2 s read) + at most 2 s of standard-mode backoff = 8 s, under the module's 10 s default timeout.
CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "total_max_attempts": 2},
)
WORST_CASE_SECONDS = 2 * (1 + 2) + 2


class BadRequest(Exception):
    """The event is not an HTTP API payload 2.0 request."""


class BadSetting(Exception):
    """An environment variable the function reads holds a value it cannot use."""


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    """One client per container: created on first use, reused by warm invocations."""
    return boto3.client("dynamodb", config=CLIENT_CONFIG)


def handler(event: Any, context: Any) -> dict:
    """Lambda entry point (`visitor_counter.handler.handler`)."""
    request_id = getattr(context, "aws_request_id", None) or _event_request_id(event)
    try:
        method, path = _method_and_path(event)
    except BadRequest as error:
        return _failure(400, "Bad Request", request_id, str(error))

    if path != ROUTE_PATH:
        return _response(404, {"message": "Not Found"})
    if method != ROUTE_METHOD:
        return _response(405, {"message": "Method Not Allowed"}, {"allow": ROUTE_METHOD})

    table_name = os.environ.get("TABLE_NAME")
    if not table_name:
        return _failure(500, "Internal Server Error", request_id, "TABLE_NAME is not set")
    try:
        key, attribute = counter_location(os.environ)
    except BadSetting as error:
        return _failure(500, "Internal Server Error", request_id, str(error))

    try:
        count = increment(table_name, key, attribute)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code in UNAVAILABLE_ERROR_CODES:
            return _unavailable(request_id, f"DynamoDB {code}")
        return _failure(500, "Internal Server Error", request_id, f"DynamoDB {code}: {error}")
    except UNAVAILABLE_TRANSPORT_ERRORS as error:
        return _unavailable(request_id, _describe(error))
    except Exception as error:  # BotoCoreError, or anything else: never let a traceback out
        return _failure(500, "Internal Server Error", request_id, _describe(error))
    return _response(200, {"count": count})


def counter_location(environ: Any) -> tuple[str, str]:
    """(key, attribute) of the counter: COUNTER_KEY and COUNTER_ATTRIBUTE, else the seed's item.

    BadSetting for a value DynamoDB would refuse, so the operator reads which setting is wrong
    instead of a ValidationException from the table.
    """
    key = environ.get("COUNTER_KEY", DEFAULT_COUNTER_KEY)
    attribute = environ.get("COUNTER_ATTRIBUTE", DEFAULT_COUNTER_ATTRIBUTE)
    for name, value, limit in (
        ("COUNTER_KEY", key, MAX_KEY_BYTES),
        ("COUNTER_ATTRIBUTE", attribute, MAX_ATTRIBUTE_BYTES),
    ):
        if not value.strip() or len(value.encode("utf-8")) > limit:
            raise BadSetting(f"{name} must be 1-{limit} bytes and not blank, got {value!r:.80}")
    if attribute == KEY_ATTRIBUTE:
        raise BadSetting(f"COUNTER_ATTRIBUTE cannot be the table's key attribute {KEY_ATTRIBUTE!r}")
    return key, attribute


def increment(
    table_name: str, key: str = DEFAULT_COUNTER_KEY, attribute: str = DEFAULT_COUNTER_ATTRIBUTE
) -> int:
    """Atomically add 1 to the counter (creating it at 1) and return the new value."""
    result = dynamodb_client().update_item(
        TableName=table_name,
        Key={KEY_ATTRIBUTE: {"S": key}},
        UpdateExpression="ADD #count :one",
        ExpressionAttributeNames={"#count": attribute},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    return int(result["Attributes"][attribute]["N"])


def _method_and_path(event: Any) -> tuple[str, str]:
    """Method and stage-relative path of a payload 2.0 event; BadRequest for anything else."""
    if not isinstance(event, dict) or not event:
        raise BadRequest("event is empty or not an object")
    if event.get("version") != "2.0":
        raise BadRequest("event is not an HTTP API payload format 2.0 request")
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    if not isinstance(http, dict):
        raise BadRequest("event has no requestContext.http")
    method, path = http.get("method"), event.get("rawPath", http.get("path"))
    if not isinstance(method, str) or not method or not isinstance(path, str) or not path:
        raise BadRequest("event has no HTTP method or path")
    # On a named stage the raw path starts with the stage (`/prod/visitors`); routes do not.
    stage = context.get("stage")
    if isinstance(stage, str) and stage != "$default" and path.startswith(f"/{stage}/"):
        path = path[len(stage) + 1 :]
    return method.upper(), path


def _event_request_id(event: Any) -> str | None:
    if isinstance(event, dict) and isinstance(event.get("requestContext"), dict):
        request_id = event["requestContext"].get("requestId")
        return request_id if isinstance(request_id, str) else None
    return None


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _unavailable(request_id: str | None, reason: str) -> dict:
    return _failure(
        503, "Service Unavailable", request_id, reason, {"retry-after": RETRY_AFTER_SECONDS}
    )


def _failure(
    status: int, message: str, request_id: str | None, reason: str, headers: dict | None = None
) -> dict:
    """Log one structured line for the operator, answer a terse JSON error to the caller."""
    record = {
        "level": "ERROR" if status >= 500 else "WARNING",
        "status": status,
        "reason": reason,
        "requestId": request_id,
        "timestamp": round(time.time(), 3),
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()
    return _response(status, {"message": message}, headers)


def _response(status: int, body: dict, headers: dict | None = None) -> dict:
    return {
        "statusCode": status,
        "headers": {
            "content-type": "application/json",
            "cache-control": "no-store",
            **(headers or {}),
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
