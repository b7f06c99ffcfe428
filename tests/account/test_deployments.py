"""What a stage serves: its deployment, or the live routes when it auto-deploys.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-deployments.html
"""

import pytest
import requests
from botocore.exceptions import ClientError

pytestmark = pytest.mark.account


def status_once_settled(account, url: str, expected: int) -> requests.Response:
    """GET `url`; on AWS, until the stage change has reached the data plane (or time is up)."""
    return account.eventually(
        lambda: requests.get(url, timeout=30), lambda response: response.status_code == expected
    )


def add_route(account, api: dict, route_key: str) -> str:
    client = account.client("apigatewayv2")
    integration = client.get_integrations(ApiId=api["api_id"])["Items"][0]["IntegrationId"]
    created = client.create_route(
        ApiId=api["api_id"], RouteKey=route_key, Target=f"integrations/{integration}"
    )
    return created["RouteId"]


def test_a_stage_without_a_deployment_answers_404(account, deploy, probe, unique):
    api = deploy.http_api(unique("nodeploy"), probe["FunctionArn"], auto_deploy=False)
    response = status_once_settled(account, api["url"](), 404)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_a_stage_serves_its_deployment_not_the_live_routes(account, deploy, probe, unique):
    """Routes added or deleted after CreateDeployment reach the stage only when it is redeployed."""
    client = account.client("apigatewayv2")
    api = deploy.http_api(unique("manual"), probe["FunctionArn"], auto_deploy=False)
    api_id = api["api_id"]
    first = client.create_deployment(ApiId=api_id, Description="first")
    assert first["DeploymentStatus"] == "DEPLOYED" and first["AutoDeployed"] is False
    client.update_stage(ApiId=api_id, StageName="prod", DeploymentId=first["DeploymentId"])
    assert status_once_settled(account, api["url"](), 200).status_code == 200

    add_route(account, api, "GET /later")
    visitors = next(
        r["RouteId"]
        for r in client.get_routes(ApiId=api_id)["Items"]
        if r["RouteKey"] != "GET /later"
    )
    client.delete_route(ApiId=api_id, RouteId=visitors)
    assert requests.get(api["url"]("/later"), timeout=30).status_code == 404
    assert requests.get(api["url"](), timeout=30).status_code == 200

    second = client.create_deployment(ApiId=api_id, StageName="prod")
    assert (
        client.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == second["DeploymentId"]
    )
    assert status_once_settled(account, api["url"]("/later"), 200).status_code == 200
    assert status_once_settled(account, api["url"](), 404).status_code == 404
    listed = {d["DeploymentId"] for d in client.get_deployments(ApiId=api_id)["Items"]}
    assert {first["DeploymentId"], second["DeploymentId"]} <= listed

    with pytest.raises(ClientError) as in_use:
        client.delete_deployment(ApiId=api_id, DeploymentId=second["DeploymentId"])
    assert in_use.value.response["Error"]["Code"] == "BadRequestException"
    client.delete_deployment(ApiId=api_id, DeploymentId=first["DeploymentId"])
    with pytest.raises(ClientError) as gone:
        client.get_deployment(ApiId=api_id, DeploymentId=first["DeploymentId"])
    assert gone.value.response["Error"]["Code"] == "NotFoundException"


def test_an_auto_deploy_stage_follows_the_live_routes(account, deploy, probe, unique):
    api = deploy.http_api(unique("auto"), probe["FunctionArn"])
    assert requests.get(api["url"]("/later"), timeout=30).status_code == 404
    add_route(account, api, "GET /later")
    assert status_once_settled(account, api["url"]("/later"), 200).status_code == 200


def test_an_api_without_routes_cannot_be_deployed(account, deploy, unique):
    client = account.client("apigatewayv2")
    api_id = client.create_api(Name=unique("empty"), ProtocolType="HTTP")["ApiId"]
    deploy.created.append(("api", api_id))
    with pytest.raises(ClientError) as refused:
        client.create_deployment(ApiId=api_id)
    assert refused.value.response["Error"]["Code"] == "BadRequestException"
