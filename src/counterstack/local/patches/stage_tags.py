"""Tags on an HTTP API stage, as API Gateway v2 keeps them.

moto routes TagResource/UntagResource/GetTags only for API and VPC-link ARNs: a stage ARN
(`arn:aws:apigateway:<region>::/apis/<id>/stages/<name>`) answers 404. The stage keeps its tags
on itself (GetStage answers them), so the tag calls read and write that same map. Adopting an
existing deployment tags its stage. (UpdateStage, which moto also lacks, is `deployments_api`.)
"""

from __future__ import annotations

import re
from typing import Any

from moto.apigateway import urls as apigateway_urls
from moto.apigatewayv2 import urls
from moto.apigatewayv2.models import ApiGatewayV2Backend
from moto.apigatewayv2.responses import ApiGatewayV2Response

STAGE_TAGS_PATH = (
    "{0}/v2/tags/(?P<resource_arn_pt1>[^/]+)/apis/(?P<resource_arn_pt2>[^/]+)"
    "/stages/(?P<stage_name>[^/]+)$"
)
_STAGE_ARN = re.compile(r":/apis/(?P<api_id>[^/]+)/stages/(?P<stage>[^/]+)$")


def install() -> None:
    """Stage ARNs routed to the tag calls, with the tags kept on the stage (idempotent)."""
    # moto's apigateway app copies v2's paths and also serves /v2 requests: both get the route.
    for paths in (urls.url_paths, apigateway_urls.url_paths):
        paths.setdefault(STAGE_TAGS_PATH, ApiGatewayV2Response.dispatch)
    if getattr(ApiGatewayV2Backend.tag_resource, "__stage_tags__", False):
        return
    tag, untag, get = (
        ApiGatewayV2Backend.tag_resource,
        ApiGatewayV2Backend.untag_resource,
        ApiGatewayV2Backend.get_tags,
    )

    def tag_resource(self: Any, resource_arn: str, tags: dict[str, str]) -> None:
        stage = _stage(self, resource_arn)
        if stage is None:
            return tag(self, resource_arn, tags)
        stage.tags = {**(stage.tags or {}), **(tags or {})}
        return None

    def untag_resource(self: Any, resource_arn: str, tag_keys: list[str]) -> None:
        stage = _stage(self, resource_arn)
        if stage is None:
            return untag(self, resource_arn, tag_keys)
        stage.tags = {k: v for k, v in (stage.tags or {}).items() if k not in set(tag_keys)}
        return None

    def get_tags(self: Any, resource_id: str) -> dict[str, str]:
        stage = _stage(self, resource_id)
        return get(self, resource_id) if stage is None else dict(stage.tags or {})

    tag_resource.__stage_tags__ = True  # type: ignore[attr-defined]
    ApiGatewayV2Backend.tag_resource = tag_resource  # type: ignore[method-assign]
    ApiGatewayV2Backend.untag_resource = untag_resource  # type: ignore[method-assign]
    ApiGatewayV2Backend.get_tags = get_tags  # type: ignore[method-assign]


def _stage(backend: Any, resource_arn: str) -> Any:
    match = _STAGE_ARN.search(resource_arn)
    if match is None:
        return None
    api = backend.apis.get(match["api_id"])
    return None if api is None else api.stages.get(match["stage"])
