"""The metrics an HTTP API stage publishes for each request (AWS/ApiGateway).

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html: `Count`,
`4xx` and `5xx` (0 or 1 per request, so their Average is a rate), `Latency` (the whole request)
and `IntegrationLatency` (the backend's share, only when the integration was called), with the
dimensions `ApiId` + `Stage`; a read or an alarm on `ApiId` alone sees their sum over the stages,
as AWS's `ApiId` metric is (`metrics.recent`). Route-level (detailed) metrics are not published.
"""

from __future__ import annotations

from counterstack.local.cloudwatch import metrics

NAMESPACE = "AWS/ApiGateway"


def publish_request(
    account_id: str,
    region: str,
    api_id: str,
    stage: str,
    status: int,
    latency_ms: float,
    integration_latency_ms: float | None,
) -> None:
    values = {
        "Count": (1.0, "Count"),
        "4xx": (1.0 if 400 <= status < 500 else 0.0, "Count"),
        "5xx": (1.0 if status >= 500 else 0.0, "Count"),
        "Latency": (latency_ms, "Milliseconds"),
    }
    if integration_latency_ms is not None:
        values["IntegrationLatency"] = (integration_latency_ms, "Milliseconds")
    metrics.put(account_id, region, NAMESPACE, values, [{"ApiId": api_id, "Stage": stage}])
