"""Canaries of `counterstack.local.patches`: each runs moto's own code, unpatched, and asserts it
still differs from AWS. When one fails, moto fixed the behaviour upstream: delete that patch."""

import inspect
import io
import json
import threading
import zipfile
from collections.abc import Callable

import boto3
import moto.apigatewayv2.models
import moto.apigatewayv2.responses
import moto.awslambda.models
import moto.awslambda.responses
import pytest
from moto.awslambda.policy import Policy
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.responses import DynamoHandler
from moto.sns.models import SNSBackend

from counterstack.local.patches import atomic_dynamodb_writes, email_subscriptions_pending
from counterstack.seed import LAMBDA_TRUST_POLICY

pytestmark = pytest.mark.unit

UPSTREAM_FIXED = "moto now behaves like AWS here: delete counterstack.local.patches.{}"
# How long a canary waits for a write that a lock in moto would hold back forever. It is spent
# only when moto has changed (the test then fails); on today's moto the write comes at once.
UPSTREAM_LOCK_SECONDS = 30


def canary_table():
    """A DynamoDB client and an on-demand table `canary` (key `id`) made with it."""
    client = boto3.client("dynamodb")
    client.create_table(
        TableName="canary",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def unpatched(owner: type, name: str) -> object:
    """moto's own function behind a patch (the wrapper keeps it as `__wrapped__`)."""
    current = getattr(owner, name)
    return getattr(current, "__wrapped__", current)


def interleaved_increments(
    monkeypatch: pytest.MonkeyPatch, before_first_answer: Callable[[threading.Event], object]
) -> dict[str, int]:
    """Two `ADD count 1` UpdateItems on `canary`, threads `first` and `second`: the first's
    answer waits until the second has reached moto's handler, then runs
    `before_first_answer(second_written)`; returns the count each answer reported."""
    first_answering, second_entered, second_written = (threading.Event() for _ in range(3))
    handle, write, serialize = DynamoHandler.update_item, DynamoDBBackend.update_item, Item.to_json

    def entering(self, *args, **kwargs):
        if threading.current_thread().name == "second":
            second_entered.set()
        return handle(self, *args, **kwargs)

    def writing(self, *args, **kwargs):
        try:
            return write(self, *args, **kwargs)
        finally:
            if threading.current_thread().name == "second":
                second_written.set()

    def serializing(self, *args, **kwargs):
        # The first write found no item, so its one to_json is its answer (the second's first
        # to_json reads the item before its write, and must not count as the write).
        if threading.current_thread().name == "first":
            first_answering.set()
            second_entered.wait()
            before_first_answer(second_written)
        return serialize(self, *args, **kwargs)

    monkeypatch.setattr(DynamoHandler, "update_item", entering)
    monkeypatch.setattr(DynamoDBBackend, "update_item", writing)
    monkeypatch.setattr(Item, "to_json", serializing)
    client = canary_table()
    counts: dict[str, int] = {}

    def increment() -> None:
        answer = client.update_item(
            TableName="canary",
            Key={"id": {"S": "visitors"}},
            UpdateExpression="ADD #c :one",
            ExpressionAttributeNames={"#c": "count"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        counts[threading.current_thread().name] = int(answer["Attributes"]["count"]["N"])

    first = threading.Thread(target=increment, name="first")
    first.start()
    first_answering.wait()  # the first write is done and its answer waits: now the second
    second = threading.Thread(target=increment, name="second")
    second.start()
    first.join()
    second.join()
    return counts


def test_moto_answers_a_dynamodb_write_with_the_live_item(aws, monkeypatch):
    """AWS answers each UpdateItem with the values it wrote; moto serializes the live item after
    the write, so a second write landing in between makes both answers report its count.

    The first answer waits until the second write has reached moto's handler, however long a
    loaded machine takes to get there, and then until that write is done: on today's moto it is
    done at once; a moto that holds one lock over write and answer never lets it happen.
    """
    for name in atomic_dynamodb_writes.WRITE_ACTIONS:
        monkeypatch.setattr(DynamoHandler, name, unpatched(DynamoHandler, name))
    counts = interleaved_increments(
        monkeypatch, lambda second_written: second_written.wait(timeout=UPSTREAM_LOCK_SECONDS)
    )
    assert counts == {"first": 2, "second": 2}, UPSTREAM_FIXED.format("atomic_dynamodb_writes")


def held_by_another_thread(lock: threading.RLock) -> bool:
    """A non-blocking acquire from a thread of its own fails: some other thread holds `lock`."""
    taken: list[bool] = []

    def probe() -> None:
        got = lock.acquire(blocking=False)
        if got:
            lock.release()
        taken.append(not got)

    prober = threading.Thread(target=probe)
    prober.start()
    prober.join()
    return taken == [True]


def test_with_the_patch_each_write_answers_with_the_values_it_wrote(aws, monkeypatch):
    """The patch's lock spans write and answer: while the first answer is being serialized the
    lock is observed held, so the second write cannot land in between (each count is handed
    out once). Without it held, the first answer waits for the second write, as moto allows."""
    atomic_dynamodb_writes.install()

    def unless_held(second_written: threading.Event) -> None:
        if not held_by_another_thread(atomic_dynamodb_writes._LOCK):
            second_written.wait()  # unguarded: let the second write land before this answer

    assert interleaved_increments(monkeypatch, unless_held) == {"first": 1, "second": 2}


def test_moto_appends_a_repeated_lambda_statement_id(aws, monkeypatch):
    """Lambda answers a repeated AddPermission statement id 409; moto appends a twin."""
    monkeypatch.setattr(Policy, "add_statement", unpatched(Policy, "add_statement"))
    role = boto3.client("iam").create_role(
        RoleName="canary",
        AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY,
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    lambdas = boto3.client("lambda")
    lambdas.create_function(
        FunctionName="canary",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )
    for _ in range(2):
        lambdas.add_permission(
            FunctionName="canary",
            StatementId="apigw",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
        )
    policy = json.loads(lambdas.get_policy(FunctionName="canary")["Policy"])
    sids = [statement["Sid"] for statement in policy["Statement"]]
    assert sids == ["apigw", "apigw"], UPSTREAM_FIXED.format("unique_statement_ids")


@pytest.mark.parametrize(
    "operation",
    ["create_deployment", "get_deployment", "get_deployments", "delete_deployment", "update_stage"],
)
def test_moto_has_no_http_api_deployments_or_update_stage(operation):
    """moto answers these API Gateway v2 operations "not implemented" (and its stages carry no
    deploymentId); `deployments_api` adds them. moto's own would be overridden by the patch."""
    source = inspect.getsource(moto.apigatewayv2.responses)
    assert f"def {operation}(" not in source, UPSTREAM_FIXED.format("deployments_api")
    assert "deploymentId" not in inspect.getsource(moto.apigatewayv2.models)


def test_moto_routes_tags_for_api_and_vpc_link_arns_only():
    """API Gateway tags a stage by its ARN (`.../apis/<id>/stages/<name>`); moto's URL map has
    tag routes for API and VPC-link ARNs only, so a stage ARN answers 404. (Checked on moto's
    source: `stage_tags` adds the route to the live map in any process that started an account.)"""
    source = inspect.getsource(moto.apigatewayv2.urls)
    tag_routes = [line for line in source.splitlines() if "/v2/tags/" in line]
    assert tag_routes, "moto's API Gateway v2 URL map changed: recheck stage_tags"
    assert not any("stages" in line for line in tag_routes), UPSTREAM_FIXED.format("stage_tags")


def test_moto_ignores_sse_specification_in_update_table(aws, monkeypatch):
    """DynamoDB switches a table to the AWS managed key on UpdateTable; moto ignores it."""
    monkeypatch.setattr(DynamoHandler, "update_table", unpatched(DynamoHandler, "update_table"))
    client = canary_table()
    client.update_table(TableName="canary", SSESpecification={"Enabled": True})
    table = client.describe_table(TableName="canary")["Table"]
    assert "SSEDescription" not in table, UPSTREAM_FIXED.format("table_sse")


def test_moto_drops_a_functions_logging_config():
    """Lambda keeps and answers LoggingConfig (Text by default); moto's Lambda never mentions it,
    so it neither stores nor answers one (checked on moto's source, as `logging_config` wraps
    the live class in any process that started an account)."""
    for module in (moto.awslambda.models, moto.awslambda.responses):
        assert "LoggingConfig" not in inspect.getsource(module), UPSTREAM_FIXED.format(
            "logging_config"
        )


def email_subscription_attributes() -> dict:
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="canary")["TopicArn"]
    arn = sns.subscribe(
        TopicArn=topic, Protocol="email", Endpoint="owner@example.com", ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    return sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]


def test_moto_confirms_email_subscriptions_at_once(aws, monkeypatch):
    """SNS keeps an e-mail subscription pending until its link is followed; moto confirms it."""
    monkeypatch.setattr(SNSBackend, "subscribe", unpatched(SNSBackend, "subscribe"))
    attributes = email_subscription_attributes()
    assert attributes["PendingConfirmation"] == "false", UPSTREAM_FIXED.format(
        "email_subscriptions_pending"
    )


def test_email_subscriptions_stay_pending_with_the_patch(aws):
    email_subscriptions_pending.install()
    assert email_subscription_attributes()["PendingConfirmation"] == "true"
