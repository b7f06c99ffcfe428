"""Access-log lines of an HTTP API stage, rendered from the stage's own `format`.

API Gateway substitutes each `$context.<name>` of the stage's `accessLogSettings.format` and
writes the result, one line per request, to the stage's destination log group. A variable with
no value for this request (no route matched, no integration called, or one the local gateway
does not know) is written as `-`, as API Gateway writes it.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from counterstack.local import cloudwatch_logs
from counterstack.local.apigateway.payload import HttpResponse

VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")
MISSING = "-"
CLF_TIME = "%d/%b/%Y:%H:%M:%S +0000"


@dataclass
class RequestRecord:
    """What one request went through, filled in by the gateway as it serves it."""

    request_id: str
    started: float  # time.time()
    api_id: str
    account_id: str
    domain_name: str
    method: str
    path: str
    protocol: str
    source_ip: str
    user_agent: str | None
    stage: str | None = None
    route_key: str | None = None
    error_message: str | None = None  # API Gateway's own answer ("Not Found"), if it gave one
    integration: dict[str, str] = field(default_factory=dict)  # status, latency, error…

    def context(self, status: int, response_length: int, finished: float) -> dict[str, str]:
        """The `$context` variables with a value for this request."""
        values = {
            "accountId": self.account_id,
            "apiId": self.api_id,
            "domainName": self.domain_name,
            "domainPrefix": self.domain_name.split(".")[0],
            "extendedRequestId": self.request_id,
            "httpMethod": self.method,
            "identity.sourceIp": self.source_ip,
            "identity.userAgent": self.user_agent,
            "path": self.path,
            "protocol": self.protocol,
            "requestId": self.request_id,
            "requestTime": time.strftime(CLF_TIME, time.gmtime(self.started)),
            "requestTimeEpoch": str(int(self.started * 1000)),
            "responseLatency": str(int((finished - self.started) * 1000)),
            "responseLength": str(response_length),
            "dataProcessed": str(response_length),
            "routeKey": self.route_key,
            "stage": self.stage,
            "status": str(status),
        }
        if self.error_message is not None:
            values["error.message"] = self.error_message
            values["error.messageString"] = json.dumps(self.error_message)
        values.update(self.integration)
        return {name: value for name, value in values.items() if value}


def render(log_format: str, context: Mapping[str, str]) -> str:
    """`log_format` with every `$context.<name>` replaced by its value, or `-`."""

    def value(match: re.Match) -> str:
        name = match[1]
        # "$context.status." in a text format: the longest name with a value, the rest literal
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in context:
                rest = ".".join(parts[end:])
                return context[candidate] + ("." + rest if rest else "")
        return MISSING

    return VARIABLE.sub(value, log_format)


def write(
    account_id: str, region: str, stage: Any, record: RequestRecord, response: HttpResponse
) -> None:
    """The stage's access-log line, in its own format, into its destination log group.

    The stream is `<api_id>_<stage>`; a stage without access-log settings writes nothing.
    """
    settings = stage.access_log_settings or {}
    destination = settings.get("destinationArn") or settings.get("DestinationArn") or ""
    log_format = settings.get("format") or settings.get("Format")
    if ":log-group:" not in destination or not log_format:
        return
    group = destination.split(":log-group:", 1)[1].removesuffix(":*")
    context = record.context(response.status, len(response.body), time.time())
    stream = f"{record.api_id}_{stage.name}"
    cloudwatch_logs.append(account_id, region, group, stream, [render(log_format, context)])
