"""execute-api for HTTP APIs: stage, CORS, route, throttling, permission, Lambda proxy.

Everything comes from what was deployed (moto's apigatewayv2 and lambda backends), looked up per
request, in the order API Gateway applies it:
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
(stage then route selection), http-api-cors.html (preflight answered by the gateway),
http-api-throttling.html (stage/route token buckets), http-api-develop-integrations-lambda.html
(payload 2.0 event and response mapping), and Lambda's resource policy for the invoke itself.
"""

from __future__ import annotations

import json
import time
from typing import Any

from counterstack.local import cors, deployed, logs, permissions
from counterstack.local.lambda_api import LambdaService
from counterstack.local.payload import (
    HttpRequest,
    HttpResponse,
    MalformedResponse,
    build_event,
    map_response,
)
from counterstack.local.routes import select_route
from counterstack.local.runtime import Throttled, UnsupportedRuntime
from counterstack.local.throttle import Throttler, limits_for

DEFAULT_STAGE = "$default"


class Gateway:
    """Serves `HttpRequest`s addressed to an API id (path-style or host-style)."""

    def __init__(self, lambdas: LambdaService) -> None:
        self.lambdas = lambdas
        self.throttler = Throttler()

    def handle(self, api_id: str, request: HttpRequest, path: str) -> HttpResponse:
        """`path` is the decoded path after the API address (`/prod/visitors`)."""
        started = time.time()
        try:
            found = deployed.http_api(api_id)
        except deployed.NotDeployed:
            return HttpResponse.message(404, "Not Found")
        api = found.api
        if api.protocol_type != "HTTP" or api.disable_execute_api_endpoint:
            return HttpResponse.message(403, "Forbidden")

        stage_name, route_path = _select_stage(api.stages, path)
        if stage_name is None:
            return HttpResponse.message(404, "Not Found")
        stage = api.stages[stage_name]
        response, route_key = self._serve(found, stage, stage_name, route_path, request)

        cors_config = cors.CorsConfig.from_api(api.cors_configuration)
        if cors_config is not None and not cors.is_preflight(request.method, request.headers):
            response.headers = cors.apply_to_response(
                cors_config, request.headers, response.headers
            )
        self._access_log(found, stage, request, response, route_key, started)
        return response

    def _serve(
        self,
        found: deployed.DeployedApi,
        stage: Any,
        stage_name: str,
        route_path: str,
        request: HttpRequest,
    ) -> tuple[HttpResponse, str]:
        api = found.api
        cors_config = cors.CorsConfig.from_api(api.cors_configuration)
        if cors_config is not None and cors.is_preflight(request.method, request.headers):
            return HttpResponse(204, cors.preflight_headers(cors_config, request.headers)), "-"

        routes = {route.route_key: route.target for route in list(api.routes.values())}
        match = select_route(routes, request.method, route_path)
        if match is None:
            return HttpResponse.message(404, "Not Found"), "-"

        limits = limits_for(stage.default_route_settings, stage.route_settings, match.route_key)
        if limits is not None and not self.throttler.allow(
            api.api_id, stage_name, match.route_key, limits
        ):
            return HttpResponse.message(429, "Too Many Requests"), match.route_key

        integration = _integration(api, match.target)
        if integration is None or integration.integration_type != "AWS_PROXY":
            return HttpResponse.message(500, "Internal Server Error"), match.route_key
        if (integration.payload_format_version or "2.0") != "2.0":
            return HttpResponse.message(500, "Internal Server Error"), match.route_key

        name_or_arn, qualifier = deployed.integration_function(integration.integration_uri)
        try:
            function = deployed.lambda_function(
                name_or_arn, qualifier, found.region, found.account_id
            )
        except deployed.NotDeployed:
            return HttpResponse.message(500, "Internal Server Error"), match.route_key

        route_method, _, template = match.route_key.partition(" ")
        arn = permissions.source_arn(
            found.region,
            found.account_id,
            api.api_id,
            stage_name,
            request.method if route_method == "ANY" else route_method,
            template or match.route_key,
        )
        base_arn = (
            function.function_arn.split(":function:")[0] + ":function:" + function.function_name
        )
        if not permissions.api_gateway_may_invoke(
            deployed.policy_statements(function), base_arn, qualifier, arn, found.account_id
        ):
            return HttpResponse.message(500, "Internal Server Error"), match.route_key

        event = build_event(
            request,
            route_key=match.route_key,
            stage=stage_name,
            api_id=api.api_id,
            account_id=found.account_id,
            path_parameters=match.path_parameters,
            stage_variables=stage.stage_variables,
        )
        try:
            invocation = self.lambdas.invoke(function, json.dumps(event).encode())
        except (Throttled, UnsupportedRuntime):
            return HttpResponse.message(500, "Internal Server Error"), match.route_key
        if invocation.error:
            return HttpResponse.message(500, "Internal Server Error"), match.route_key
        try:
            return map_response(invocation.payload), match.route_key
        except MalformedResponse:
            return HttpResponse.message(500, "Internal Server Error"), match.route_key

    def _access_log(
        self,
        found: deployed.DeployedApi,
        stage: Any,
        request: HttpRequest,
        response: HttpResponse,
        route_key: str,
        started: float,
    ) -> None:
        """One JSON line per request into the stage's access-log group, when it has one."""
        settings = stage.access_log_settings or {}
        destination = settings.get("destinationArn") or settings.get("DestinationArn")
        if not destination or ":log-group:" not in destination:
            return
        group = destination.split(":log-group:", 1)[1].removesuffix(":*")
        line = json.dumps(
            {
                "requestId": request.headers.get("x-amzn-trace-id", ""),
                "ip": request.source_ip,
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(started)),
                "httpMethod": request.method,
                "routeKey": route_key,
                "path": request.raw_path,
                "status": str(response.status),
                "protocol": request.protocol,
                "responseLength": str(len(response.body)),
                "responseLatency": str(int((time.time() - started) * 1000)),
            }
        )
        stream = f"{found.api.api_id}_{stage.name}"
        logs.write_access_log(found.account_id, found.region, group, stream, line)


def _select_stage(stages: dict[str, Any], path: str) -> tuple[str | None, str]:
    """A named stage matches the first path segment; otherwise `$default`, if there is one."""
    first, _, rest = path.lstrip("/").partition("/")
    if first and first != DEFAULT_STAGE and first in stages:
        return first, "/" + rest
    if DEFAULT_STAGE in stages:
        return DEFAULT_STAGE, path or "/"
    return None, path


def _integration(api: Any, target: str | None) -> Any:
    if not target or not target.startswith("integrations/"):
        return None
    return api.integrations.get(target.split("/", 1)[1])
