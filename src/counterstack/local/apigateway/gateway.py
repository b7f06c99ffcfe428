"""execute-api for HTTP APIs: stage, CORS, route, throttling, permission, Lambda proxy.

Everything comes from what was deployed (moto's apigatewayv2 and lambda backends), looked up per
request — routes, integrations and CORS from the stage's deployment (`deployments`), stage
settings live — in the order API Gateway applies it:
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
(stage then route selection), http-api-cors.html (preflight answered by the gateway),
http-api-throttling.html (stage/route token buckets), http-api-develop-integrations-lambda.html
(payload 2.0 event and response mapping), and Lambda's resource policy for the invoke itself.
"""

from __future__ import annotations

import json
import time
from typing import Any

from counterstack.local import moto_backends
from counterstack.local.apigateway import access_log, cors, deployments, invoke_permission
from counterstack.local.apigateway.access_log import RequestRecord
from counterstack.local.apigateway.payload import (
    HttpRequest,
    HttpResponse,
    MalformedResponse,
    build_event,
    map_response,
    new_request_id,
)
from counterstack.local.apigateway.routes import select_route
from counterstack.local.apigateway.throttling import Throttler, limits_for
from counterstack.local.awslambda.invoke import LambdaService
from counterstack.local.awslambda.runtime import Throttled, UnsupportedRuntime
from counterstack.local.cloudwatch import apigateway_metrics

DEFAULT_STAGE = "$default"
# integrationErrorMessage texts API Gateway logs for a Lambda proxy integration
FUNCTION_ERROR = (
    "The Lambda function returned the following error: {error}. "
    "Check your Lambda function code and try again."
)
MALFORMED_RESPONSE = (
    "The response from the Lambda function doesn't match the format that API Gateway expects."
)
NO_PERMISSION = (
    "The IAM role configured on the integration or API Gateway doesn't have permissions to call "
    "the integration. Check the permissions and try again."
)


class Gateway:
    """Serves `HttpRequest`s addressed to an API id (path-style or host-style)."""

    def __init__(self, lambdas: LambdaService) -> None:
        self.lambdas = lambdas
        self.throttler = Throttler()

    def handle(self, api_id: str, request: HttpRequest, path: str) -> HttpResponse:
        """`path` is the decoded path after the API address (`/prod/visitors`)."""
        record = RequestRecord(
            request_id=new_request_id(),
            started=time.time(),
            api_id=api_id,
            account_id="",
            domain_name=request.domain_name,
            method=request.method,
            path=request.raw_path,
            protocol=request.protocol,
            source_ip=request.source_ip,
            user_agent=request.headers.get("user-agent"),
        )
        response = self._handle(record, request, path)
        response.headers.setdefault("apigw-requestid", record.request_id)
        return response

    def _handle(self, record: RequestRecord, request: HttpRequest, path: str) -> HttpResponse:
        try:
            found = moto_backends.http_api(record.api_id)
        except moto_backends.NotDeployed:
            return _fail(record, 404, "Not Found")
        api = found.api
        record.account_id = found.account_id
        if api.protocol_type != "HTTP":
            return _fail(record, 403, "Forbidden")
        stage_name, route_path = _select_stage(api.stages, path)
        if stage_name is None:
            return _fail(record, 404, "Not Found")
        stage = api.stages[stage_name]
        record.stage = stage_name
        config = deployments.served_config(api, stage)
        if config is None:  # a stage nothing was deployed to
            response = _fail(record, 404, "Not Found")
        elif config.disable_execute_api_endpoint:
            response = _fail(record, 403, "Forbidden")
        else:
            cors_config = cors.CorsConfig.from_api(config.cors_configuration)
            if cors_config is not None and cors.is_preflight(request.method, request.headers):
                response = HttpResponse(204, cors.preflight_headers(cors_config, request.headers))
            else:
                response = self._serve(found, config, stage, record, route_path, request)
                if cors_config is not None:
                    response.headers = cors.apply_to_response(
                        cors_config, request.headers, response.headers
                    )
        access_log.write(found.account_id, found.region, stage, record, response)
        latency = record.integration.get("integration.latency")
        apigateway_metrics.publish_request(
            found.account_id,
            found.region,
            record.api_id,
            stage_name,
            response.status,
            (time.time() - record.started) * 1000,
            float(latency) if latency is not None else None,
        )
        return response

    def _serve(
        self,
        found: moto_backends.DeployedApi,
        config: deployments.ApiConfig,
        stage: Any,
        record: RequestRecord,
        route_path: str,
        request: HttpRequest,
    ) -> HttpResponse:
        api, stage_name = found.api, stage.name
        match = select_route(config.routes, request.method, route_path)
        if match is None:
            return _fail(record, 404, "Not Found")
        record.route_key = match.route_key

        limits = limits_for(stage.default_route_settings, stage.route_settings, match.route_key)
        if limits is not None and not self.throttler.allow(
            api.api_id, stage_name, match.route_key, limits
        ):
            return _fail(record, 429, "Too Many Requests")

        integration = _integration(config, match.target)
        if integration is None or integration.integration_type != "AWS_PROXY":
            return _fail(record, 500, "Internal Server Error")
        if (integration.payload_format_version or "2.0") != "2.0":
            return _fail(record, 500, "Internal Server Error")

        name_or_arn, qualifier = moto_backends.integration_function(integration.integration_uri)
        try:
            function = moto_backends.lambda_function(
                name_or_arn, qualifier, found.region, found.account_id
            )
        except moto_backends.NotDeployed:
            return _fail(record, 500, "Internal Server Error")

        route_method, _, template = match.route_key.partition(" ")
        arn = invoke_permission.source_arn(
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
        if not invoke_permission.api_gateway_may_invoke(
            moto_backends.policy_statements(function), base_arn, qualifier, arn, found.account_id
        ):
            return _fail(record, 500, "Internal Server Error", integration_error=NO_PERMISSION)

        event = build_event(
            request,
            route_key=match.route_key,
            stage=stage_name,
            api_id=api.api_id,
            account_id=found.account_id,
            path_parameters=match.path_parameters,
            stage_variables=stage.stage_variables,
            request_id=record.request_id,
            now=record.started,
        )
        invoked = time.time()
        try:
            invocation = self.lambdas.invoke(function, json.dumps(event).encode())
        except (Throttled, UnsupportedRuntime) as error:  # Lambda refused the invoke
            status = "429" if isinstance(error, Throttled) else "500"
            record.integration = _integration_record(invoked, status, None)
            return _fail(record, 500, "Internal Server Error", integration_error=str(error))
        record.integration = _integration_record(invoked, "200", invocation.request_id)
        if invocation.error:
            message = FUNCTION_ERROR.format(error=invocation.error)
            return _fail(record, 500, "Internal Server Error", integration_error=message)
        try:
            response = map_response(invocation.payload)
        except MalformedResponse:
            return _fail(record, 500, "Internal Server Error", integration_error=MALFORMED_RESPONSE)
        record.integration["integration.integrationStatus"] = str(response.status)
        return response


def _fail(
    record: RequestRecord, status: int, message: str, integration_error: str | None = None
) -> HttpResponse:
    """API Gateway's own answer, noted for the access log."""
    record.error_message = message
    if integration_error is not None:
        record.integration["integration.error"] = integration_error
        record.integration["integrationErrorMessage"] = integration_error
    return HttpResponse.message(status, message)


def _integration_record(invoked: float, status: str, request_id: str | None) -> dict[str, str]:
    latency = str(int((time.time() - invoked) * 1000))
    values = {
        "integration.status": status,
        "integrationStatus": status,
        "integration.latency": latency,
        "integrationLatency": latency,
    }
    if request_id:
        values["integration.requestId"] = request_id
    return values


def _select_stage(stages: dict[str, Any], path: str) -> tuple[str | None, str]:
    """A named stage matches the first path segment; otherwise `$default`, if there is one."""
    first, _, rest = path.lstrip("/").partition("/")
    if first and first != DEFAULT_STAGE and first in stages:
        return first, "/" + rest
    if DEFAULT_STAGE in stages:
        return DEFAULT_STAGE, path or "/"
    return None, path


def _integration(config: deployments.ApiConfig, target: str | None) -> Any:
    if not target or not target.startswith("integrations/"):
        return None
    return config.integrations.get(target.split("/", 1)[1])
