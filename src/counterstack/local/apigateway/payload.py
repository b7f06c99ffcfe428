"""Lambda proxy integration, payload format 2.0: the event sent and the response read back.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

# Bodies of these types reach the function as text; anything else is base64-encoded.
TEXT_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/graphql",
)


@dataclass
class HttpRequest:
    """What the gateway received, already split into stage and route path."""

    method: str
    raw_path: str  # as the client sent it after the host (with the stage on a named stage)
    raw_query: str
    headers: dict[str, str]  # lowercased names, repeated headers joined with ","
    body: bytes
    source_ip: str
    domain_name: str
    protocol: str = "HTTP/1.1"


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def message(cls, status: int, message: str, headers: dict[str, str] | None = None):
        """API Gateway's own JSON answers: `{"message": "Not Found"}` and friends."""
        return cls(
            status,
            {"content-type": "application/json", **(headers or {})},
            body=json.dumps({"message": message}).encode(),
        )


def new_request_id() -> str:
    """API Gateway request ids look like `JKJaXmPLvHcESHA=`."""
    return base64.b64encode(uuid.uuid4().bytes[:11]).decode()


def build_event(
    request: HttpRequest,
    *,
    route_key: str,
    stage: str,
    api_id: str,
    account_id: str,
    path_parameters: dict[str, str],
    stage_variables: dict[str, str] | None = None,
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The payload 2.0 event (fields AWS omits when empty are omitted here too)."""
    now = time.time() if now is None else now
    headers = {name: value for name, value in request.headers.items() if name != "cookie"}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if "cookie" in request.headers:
        event["cookies"] = [c.strip() for c in request.headers["cookie"].split(";") if c.strip()]
    event["headers"] = headers
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if stage_variables:
        event["stageVariables"] = stage_variables
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": request.domain_name,
        "domainPrefix": request.domain_name.split(".")[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.headers.get("user-agent", ""),
        },
        "requestId": request_id or new_request_id(),
        "routeKey": route_key,
        "stage": stage,
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if request.body:
        content_type = request.headers.get("content-type", "").lower()
        textual = content_type.startswith(TEXT_TYPES) or not content_type
        try:
            text = request.body.decode("utf-8") if textual else None
        except UnicodeDecodeError:
            text = None
        if text is not None:
            event["body"], event["isBase64Encoded"] = text, False
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


class MalformedResponse(Exception):
    """The function's answer cannot be mapped to an HTTP response (API Gateway answers 500)."""


def map_response(payload: bytes) -> HttpResponse:
    """Map a successful invocation's payload to the HTTP response, as format 2.0 does.

    A JSON object with `statusCode` is used as given; any other valid JSON is the body of a
    `200 application/json` response (a string is sent as-is, anything else as its JSON text).
    """
    try:
        value = json.loads(payload) if payload else None
    except ValueError as error:
        raise MalformedResponse(f"function returned invalid JSON: {error}") from error
    if not isinstance(value, dict) or "statusCode" not in value:
        body = value if isinstance(value, str) else json.dumps(value)
        return HttpResponse(200, {"content-type": "application/json"}, body=body.encode())
    try:
        status = int(value["statusCode"])
    except (TypeError, ValueError) as error:
        raise MalformedResponse(f"statusCode is not a number: {value['statusCode']!r}") from error
    headers = value.get("headers") or {}
    if not isinstance(headers, dict):
        raise MalformedResponse("headers is not an object")
    cookies = value.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResponse("cookies is not a list")
    body = value.get("body")
    if body is None:
        raw = b""
    elif not isinstance(body, str):
        raw = json.dumps(body).encode()
    elif value.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise MalformedResponse("body is not valid base64") from error
    else:
        raw = body.encode()
    return HttpResponse(
        status,
        {str(name).lower(): str(v) for name, v in headers.items()},
        [str(cookie) for cookie in cookies],
        raw,
    )
