"""A function's SDK calls are allowed only by its execution role's policies, as on AWS.

Allow and deny by the role run on the `account` fixture, so the nightly job checks them on AWS
(where a new role's policies take a while to apply: `account.eventually`). The runtime signs the
function's calls with a session of its execution role; the account checks the role's inline and
attached policies for each call (Terraform's `test` key stays admin).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
"""

import base64
import contextlib
import json

import pytest
from account_helpers import invoke
from botocore.exceptions import ClientError

pytestmark = pytest.mark.account
LOCAL_KEY = "the local account's own `test` key and its log delivery"

GET_VISITORS = {
    "version": "2.0",
    "rawPath": "/visitors",
    "requestContext": {"http": {"method": "GET", "path": "/visitors"}, "stage": "$default"},
}
COUNTER_HANDLER = "visitor_counter.handler.handler"
# A policy needs one statement; this one allows nothing the counter does.
UNRELATED = {
    "Effect": "Allow",
    "Action": "dynamodb:GetItem",
    "Resource": "arn:aws:dynamodb:*:*:table/none",
}


@pytest.fixture
def counter_stack(account, deploy, counter_zip, unique, execution_role):
    """deploy(statements) -> (function name, table ARN): the counter, its table, its role."""
    dynamodb = account.client("dynamodb")
    tables: list[str] = []

    def make(statements_for) -> tuple[str, str]:
        name = unique("iam")
        table_arn = dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )["TableDescription"]["TableArn"]
        tables.append(name)
        role = execution_role(name, statements_for(table_arn))
        deploy.function(
            name,
            counter_zip,
            handler=COUNTER_HANDLER,
            Role=role,
            Environment={"Variables": {"TABLE_NAME": name}},
        )
        return name, table_arn

    yield make
    for name in tables:
        with contextlib.suppress(ClientError):  # `deploy` may have deleted it already
            account.client("lambda").delete_function(FunctionName=name)
        dynamodb.delete_table(TableName=name)


# https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html gives the
# message's form: "User: <principal> is not authorized to perform: <action> on resource:
# <resource> because no identity-based policy allows the <action> action", and for a deny
# "... with an explicit deny in an identity-based policy". Lambda names the session after the
# function (lambda-intro-execution-role.html).
def denial(account, role: str, session: str, action: str, resource: str) -> str:
    """AWS's AccessDeniedException message for an identity policy that does not allow."""
    return (
        f"User: arn:aws:sts::{account.account_id}:assumed-role/{role}/{session} is not "
        f"authorized to perform: {action} on resource: {resource} because no identity-based "
        f"policy allows the {action} action"
    )


def count(account, name: str, status: int = 200) -> tuple[dict, str]:
    """Invoke the counter until it answers `status` (at once locally; on AWS once the role's
    policies apply); its payload and the tail of its log."""

    def attempt() -> tuple[dict, str]:
        response, payload = invoke(account, name, GET_VISITORS, LogType="Tail")
        return payload, base64.b64decode(response["LogResult"]).decode()

    return account.eventually(attempt, lambda answer: answer[0]["statusCode"] == status)


def test_the_right_policy_lets_the_counter_count(account, counter_stack):
    name, _ = counter_stack(
        lambda table: [{"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": table}]
    )
    payload, _ = count(account, name)
    assert payload["statusCode"] == 200, payload
    assert json.loads(payload["body"]) == {"count": 1}


@pytest.mark.parametrize(
    "statements_for",
    [
        pytest.param(
            lambda table: [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": table}],
            id="update-item-omitted",
        ),
        pytest.param(
            lambda table: [
                {
                    "Effect": "Allow",
                    "Action": "dynamodb:UpdateItem",
                    "Resource": table.rsplit("/", 1)[0] + "/another-table",
                }
            ],
            id="another-table",
        ),
    ],
)
def test_a_policy_without_update_item_on_the_table_is_denied(
    account, counter_stack, statements_for
):
    """The handler's UpdateItem gets AccessDeniedException: the caller 500, the log the reason."""
    name, table_arn = counter_stack(statements_for)
    payload, log = count(account, name, status=500)
    assert payload["statusCode"] == 500
    assert "DynamoDB AccessDeniedException" in log
    assert denial(account, name, name, "dynamodb:UpdateItem", table_arn) in log


def test_an_explicit_deny_wins_over_an_allow(account, counter_stack):
    name, table_arn = counter_stack(
        lambda table: [
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "dynamodb:UpdateItem", "Resource": table},
        ]
    )
    payload, log = count(account, name, status=500)
    assert payload["statusCode"] == 500
    assert (
        f"not authorized to perform: dynamodb:UpdateItem on resource: {table_arn} with an "
        "explicit deny in an identity-based policy"
    ) in log


def test_attached_managed_policies_count(account, counter_stack, unique):
    """A managed policy attached to the role allows as an inline one does."""
    iam = account.client("iam")
    name, table_arn = counter_stack(lambda table: [UNRELATED])
    policy_arn = iam.create_policy(
        PolicyName=unique("managed"),
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": table_arn}
                ],
            }
        ),
    )["Policy"]["Arn"]
    try:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        try:
            payload, _ = count(account, name)
        finally:
            iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn)
    finally:
        iam.delete_policy(PolicyArn=policy_arn)
    assert payload["statusCode"] == 200, payload


@pytest.mark.local_only(reason=LOCAL_KEY)
def test_function_logs_need_the_roles_logs_permission(local_account, counter_stack):
    """Lambda writes the function's log with its role: without logs:PutLogEvents, none."""
    name, _ = counter_stack(
        lambda table: [{"Effect": "Allow", "Action": "dynamodb:UpdateItem", "Resource": table}]
    )
    logs = local_account.client("logs")
    group = f"/aws/lambda/{name}"
    logs.create_log_group(logGroupName=group)
    try:
        count(local_account, name)
        assert logs.filter_log_events(logGroupName=group)["events"] == []
    finally:
        logs.delete_log_group(logGroupName=group)


@pytest.mark.local_only(reason=LOCAL_KEY)
def test_the_accounts_own_key_keeps_admin_rights(local_account, counter_stack):
    """Terraform's and the tests' `test` key is the account's admin, as before."""
    name, _ = counter_stack(lambda table: [UNRELATED])
    item = local_account.client("dynamodb").update_item(
        TableName=name,
        Key={"id": {"S": "visitors"}},
        UpdateExpression="ADD #c :one",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    assert item["Attributes"]["count"] == {"N": "1"}
