"""Where moto's answer differs from AWS's in a way Terraform's waiters notice, the account answers
as AWS does (`counterstack.local.patches`)."""

import json

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.account

PERMISSION = {
    "Action": "lambda:InvokeFunction",
    "Principal": "apigateway.amazonaws.com",
    "SourceArn": "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*/*",
}


def statement_ids(lambda_client, function_name: str) -> list[str]:
    policy = json.loads(lambda_client.get_policy(FunctionName=function_name)["Policy"])
    return [statement["Sid"] for statement in policy["Statement"]]


def test_a_statement_id_is_added_once(account, probe):
    """Lambda answers a repeated AddPermission 409; moto appended a twin, and the provider's
    delete (which polls GetPolicy until the id is gone) then waited its full 5 minutes."""
    client = account.client("lambda")
    name = probe["FunctionName"]
    client.add_permission(FunctionName=name, StatementId="apigw", **PERMISSION)
    with pytest.raises(ClientError) as error:
        client.add_permission(FunctionName=name, StatementId="apigw", **PERMISSION)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert error.value.response["Error"]["Code"] == "ResourceConflictException"
    assert "(apigw) provided already exists" in error.value.response["Error"]["Message"]
    assert statement_ids(client, name) == ["apigw"]

    client.remove_permission(FunctionName=name, StatementId="apigw")
    with pytest.raises(ClientError) as gone:
        client.get_policy(FunctionName=name)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
