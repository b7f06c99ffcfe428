"""Canary of `counterstack.local.deployments_api`: moto still lacks what it adds.

When moto implements API Gateway v2 deployments or UpdateStage itself, this fails: the patch
would then override moto's own operations and should be dropped or rechecked.
"""

import inspect

import moto.apigatewayv2.models
import moto.apigatewayv2.responses
import pytest

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "operation",
    ["create_deployment", "get_deployment", "get_deployments", "delete_deployment", "update_stage"],
)
def test_moto_has_no_operation_of_its_own(operation):
    assert f"def {operation}(" not in inspect.getsource(moto.apigatewayv2.responses)


def test_moto_stages_still_carry_no_deployment_id():
    assert "deploymentId" not in inspect.getsource(moto.apigatewayv2.models)
