"""What an HTTP API stage serves: the live configuration or its last deployment.

API Gateway serves a stage from a deployment, a snapshot of the API's routes, integrations and
CORS configuration taken at CreateDeployment. A stage with `autoDeploy` is redeployed on every
change, so it follows the live configuration; any other stage keeps serving its deployment until
UpdateStage points it at another one, and a stage without a deployment answers 404.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
The deployments live on moto's Api object, so a reset of the account forgets them with it.
"""

from __future__ import annotations

import copy
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEPLOYMENTS_ATTRIBUTE = "counterstack_deployments"
ID_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class ApiConfig:
    """The part of an API a deployment freezes: routes, integrations, CORS, the endpoint."""

    routes: dict[str, str | None]  # route key -> target ("integrations/<id>")
    integrations: dict[str, Any]  # integration id -> moto Integration (a copy when deployed)
    cors_configuration: dict | None
    disable_execute_api_endpoint: bool


@dataclass
class Deployment:
    deployment_id: str
    description: str
    config: ApiConfig
    auto_deployed: bool = False
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, Any]:
        """The Deployment shape of the API Gateway v2 REST API (camelCase)."""
        return {
            "autoDeployed": self.auto_deployed,
            "createdDate": self.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "deploymentId": self.deployment_id,
            "deploymentStatus": "DEPLOYED",
            "description": self.description,
        }


def live_config(api: Any, *, snapshot: bool = False) -> ApiConfig:
    """The API's configuration now; `snapshot` copies it so later changes do not reach it."""
    routes = {route.route_key: route.target for route in list(api.routes.values())}
    integrations = dict(api.integrations)
    cors_configuration = api.cors_configuration
    if snapshot:
        integrations = {key: copy.copy(value) for key, value in integrations.items()}
        cors_configuration = copy.deepcopy(cors_configuration)
    return ApiConfig(
        routes, integrations, cors_configuration, bool(api.disable_execute_api_endpoint)
    )


def deployments_of(api: Any) -> dict[str, Deployment]:
    """The API's deployments by id (kept on moto's Api object)."""
    return api.__dict__.setdefault(DEPLOYMENTS_ATTRIBUTE, {})


def deploy(api: Any, description: str = "", auto_deployed: bool = False) -> Deployment:
    """Snapshot the API's configuration as a new deployment."""
    deployment_id = "".join(secrets.choice(ID_ALPHABET) for _ in range(6))
    deployment = Deployment(
        deployment_id, description, live_config(api, snapshot=True), auto_deployed
    )
    deployments_of(api)[deployment_id] = deployment
    return deployment


def stage_deployment_id(stage: Any) -> str | None:
    return getattr(stage, "deployment_id", None)


def served_config(api: Any, stage: Any) -> ApiConfig | None:
    """What `stage` serves now, or None when it has no deployment (API Gateway answers 404)."""
    if stage.auto_deploy:
        return live_config(api)
    deployment = deployments_of(api).get(stage_deployment_id(stage) or "")
    return deployment.config if deployment is not None else None
