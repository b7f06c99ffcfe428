"""UpdateTable switches a table's encryption as DynamoDB does
(`counterstack.local.patches.table_sse`): adopting a table made without SSE settings turns on the
AWS managed key, and moto ignores it."""

import pytest

pytestmark = [
    pytest.mark.account,
    pytest.mark.local_only(reason="checks the local account's patch of moto's UpdateTable"),
]


def test_update_table_turns_on_the_aws_managed_key(local_account):
    dynamodb = local_account.client("dynamodb")
    name = "table-sse-probe"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        assert "SSEDescription" not in dynamodb.describe_table(TableName=name)["Table"]
        dynamodb.update_table(TableName=name, SSESpecification={"Enabled": True})
        sse = dynamodb.describe_table(TableName=name)["Table"]["SSEDescription"]
        assert sse["Status"] == "ENABLED"
        assert sse["SSEType"] == "KMS"
        assert sse["KMSMasterKeyArn"].startswith("arn:aws:kms:")

        dynamodb.update_table(TableName=name, SSESpecification={"Enabled": False})
        assert "SSEDescription" not in dynamodb.describe_table(TableName=name)["Table"]
    finally:
        dynamodb.delete_table(TableName=name)
