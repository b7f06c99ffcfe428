"""API Gateway v2 deployments and UpdateStage, which moto does not implement.

moto 5.2 answers CreateDeployment, GetDeployment(s), DeleteDeployment and UpdateStage with
"not implemented", and its stages carry no `deploymentId`: a stage with `auto_deploy = false`
could neither be deployed nor moved to a new deployment by Terraform. These operations are added
to moto's API Gateway v2 response class (its dispatcher finds an operation's method by name)
and their URLs to both apps that serve `/v2/apis` (moto's apigateway app copies v2's paths).
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-deployments.html
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from moto.apigateway import urls as apigateway_urls
from moto.apigatewayv2 import urls as apigatewayv2_urls
from moto.apigatewayv2.exceptions import APIGatewayV2Error
from moto.apigatewayv2.models import Api, Stage
from moto.apigatewayv2.responses import ApiGatewayV2Response

from counterstack.local.apigateway import deployments

DEPLOYMENT_PATHS = {
    "{0}/v2/apis/(?P<api_id>[^/]+)/deployments$": ApiGatewayV2Response.dispatch,
    "{0}/v2/apis/(?P<api_id>[^/]+)/deployments/(?P<deployment_id>[^/]+)$": (
        ApiGatewayV2Response.dispatch
    ),
}
# UpdateStage body field -> moto Stage attribute: settings maps are merged (a field not sent keeps
# its value, as API Gateway does), the rest replaced.
MERGED_STAGE_FIELDS = {
    "defaultRouteSettings": "default_route_settings",
    "routeSettings": "route_settings",
}
STAGE_FIELDS = {
    "accessLogSettings": "access_log_settings",
    "autoDeploy": "auto_deploy",
    "clientCertificateId": "client_certificate_id",
    "description": "description",
    "stageVariables": "stage_variables",
}


class BadRequest(APIGatewayV2Error):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("BadRequestException", message)


class DeploymentNotFound(APIGatewayV2Error):
    code = 404

    def __init__(self, deployment_id: str) -> None:
        super().__init__(
            "NotFoundException", f"Invalid Deployment identifier specified {deployment_id}"
        )


def install() -> None:
    """Add the operations to moto (idempotent; before moto builds its apps)."""
    if getattr(ApiGatewayV2Response, "create_deployment", None) is create_deployment:
        return
    apigatewayv2_urls.url_paths.update(DEPLOYMENT_PATHS)
    apigateway_urls.url_paths.update(DEPLOYMENT_PATHS)
    for operation in (
        create_deployment,
        get_deployment,
        get_deployments,
        update_deployment,
        delete_deployment,
        update_stage,
    ):
        setattr(ApiGatewayV2Response, operation.__name__, operation)
    _stage_keeps_its_deployment()


def _stage_keeps_its_deployment() -> None:
    """CreateStage takes a `deploymentId` (it must exist); GetStage answers it."""
    create_stage, to_json = Api.create_stage, Stage.to_json

    @functools.wraps(create_stage)
    def create_deployed_stage(self: Any, config: dict[str, Any]) -> Any:
        deployment_id = config.get("deploymentId")
        if deployment_id and deployment_id not in deployments.deployments_of(self):
            raise DeploymentNotFound(deployment_id)
        stage = create_stage(self, config)
        stage.deployment_id = deployment_id
        return stage

    @functools.wraps(to_json)
    def stage_json(self: Any) -> dict[str, Any]:
        answer = to_json(self)
        if deployments.stage_deployment_id(self):
            answer["deploymentId"] = self.deployment_id
        return answer

    Api.create_stage = create_deployed_stage
    Stage.to_json = stage_json


def _api(response: Any, segments_after_id: int) -> Any:
    api_id = response.path.split("/")[-1 - segments_after_id]
    return response.apigatewayv2_backend.get_api(api_id)


def _deployment(api: Any, deployment_id: str) -> deployments.Deployment:
    found = deployments.deployments_of(api).get(deployment_id)
    if found is None:
        raise DeploymentNotFound(deployment_id)
    return found


def create_deployment(self: Any) -> tuple[int, dict, str]:
    """POST /v2/apis/{apiId}/deployments: snapshot the API; with stageName, deploy to it."""
    api = _api(self, 1)
    params = json.loads(self.body or "{}")
    if not api.routes:
        raise BadRequest("Unable to deploy API because no routes exist in this API")
    stage = api.get_stage(params["stageName"]) if params.get("stageName") else None
    deployment = deployments.deploy(api, params.get("description") or "")
    if stage is not None:
        stage.deployment_id = deployment.deployment_id
    return 201, {}, json.dumps(deployment.to_json())


def get_deployment(self: Any) -> tuple[int, dict, str]:
    api = _api(self, 2)
    return 200, {}, json.dumps(_deployment(api, self.path.split("/")[-1]).to_json())


def get_deployments(self: Any) -> tuple[int, dict, str]:
    api = _api(self, 1)
    items = [d.to_json() for d in deployments.deployments_of(api).values()]
    return 200, {}, json.dumps({"items": items})


def update_deployment(self: Any) -> tuple[int, dict, str]:
    api = _api(self, 2)
    deployment = _deployment(api, self.path.split("/")[-1])
    params = json.loads(self.body or "{}")
    if "description" in params:
        deployment.description = params["description"] or ""
    return 200, {}, json.dumps(deployment.to_json())


def delete_deployment(self: Any) -> tuple[int, dict, str]:
    """A deployment a stage still serves cannot be deleted (as API Gateway answers)."""
    api = _api(self, 2)
    deployment_id = self.path.split("/")[-1]
    _deployment(api, deployment_id)
    if any(deployments.stage_deployment_id(s) == deployment_id for s in api.stages.values()):
        raise BadRequest("Active stages pointing to this deployment must be moved or deleted")
    del deployments.deployments_of(api)[deployment_id]
    return 204, {}, ""


def update_stage(self: Any) -> tuple[int, dict, str]:
    """PATCH /v2/apis/{apiId}/stages/{stageName}: the fields given replace the stage's."""
    api = _api(self, 2)
    stage = api.get_stage(unquote(self.path.split("/")[-1]))
    params = json.loads(self.body or "{}")
    if params.get("deploymentId"):
        _deployment(api, params["deploymentId"])
        stage.deployment_id = params["deploymentId"]
    if stage.auto_deploy and params.get("autoDeploy") is False and not params.get("deploymentId"):
        # the stage keeps what it served: the configuration API Gateway last auto-deployed
        stage.deployment_id = deployments.deploy(api, auto_deployed=True).deployment_id
    for name, attribute in MERGED_STAGE_FIELDS.items():
        if name in params:
            setattr(stage, attribute, {**(getattr(stage, attribute) or {}), **params[name]})
    for name, attribute in STAGE_FIELDS.items():
        if name in params:
            setattr(stage, attribute, params[name])
    stage.updated = datetime.now()
    return 200, {}, json.dumps(stage.to_json())
