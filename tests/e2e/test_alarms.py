"""Alarms, proven end to end: a broken counter pages its owner, and its recovery says so.

The stack gets alarms (modules/alarms through examples/complete) and the test subscribes a queue
of its own to their topic, as an on-call tool would. A DynamoDB outage makes `/visitors` answer
5xx: the `api-5xx` alarm's ALARM notification arrives, then OK once the outage ends. A burst over
the stage's throttle answers 429s: the `api-4xx` alarm fires. Destroy leaves nothing (the stack
fixture's leak check), and the queue is gone too.

The outage is a deny of `dynamodb:UpdateItem` on the function's role, on either target; on the
local account a second test makes it a fault rule (503 ServiceUnavailable on UpdateItem), which
only the local account has (`local_only`, so .ci/run's local slow stage runs it). Locally alarm
periods last 3 s (the alarm clock's speedup); on `--target aws` the test waits as long as
CloudWatch needs.
"""

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests

from counterstack.harness import shared_key
from counterstack.harness.stack import Stack
from counterstack.harness.target import Target
from counterstack.local.testing.fault_injection import injected_fault
from counterstack.paths import EXAMPLE_COMPLETE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# A tight stage throttle a burst exceeds; one GET per poll of the queue (a 1 s long poll) stays
# under it.
THROTTLING = {"throttling_burst_limit": 5, "throttling_rate_limit": 2}
BURST = 40
TIMEOUT = 30
# How long a notification may take, a bound for the failing case: the local clock is 20x faster
# (the notifications came 1-5 s after the outage or burst on an idle two-core machine, so 30 s
# is 6x that, room for a loaded one); CloudWatch publishes API Gateway metrics within minutes and
# evaluates once a period.
DEADLINE = {"local": 30.0, "aws": 900.0}
DENY_POLICY = "counterstack-test-deny-updateitem"


@pytest.fixture(scope="module")
def stack(stack_factory) -> Iterator[Stack]:
    """A stack of its own: the 4xx alarm on and a stage throttle the shared stack must not have."""
    with stack_factory(EXAMPLE_COMPLETE, create_4xx_alarm=True, **THROTTLING) as stack:
        yield stack


@pytest.fixture(scope="module")
def inbox(stack: Stack, target: Target) -> Iterator["Inbox"]:
    with subscribed_inbox(stack, target) as box:
        yield box


@contextmanager
def subscribed_inbox(stack: Stack, target: Target) -> Iterator["Inbox"]:
    """An SQS queue subscribed to the alarms' topic; unsubscribed and deleted afterwards."""
    sqs, sns = target.client("sqs"), target.client("sns")
    topic_arn = stack.output("alarm_topic_arn")
    name = f"{stack.prefix}-inbox"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    subscription = None
    try:
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": _queue_policy(queue_arn, topic_arn)}
        )
        subscription = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)[
            "SubscriptionArn"
        ]
        yield Inbox(sqs, url, DEADLINE[target.name])
    finally:
        if subscription is not None:
            sns.unsubscribe(SubscriptionArn=subscription)
        sqs.delete_queue(QueueUrl=url)
        left = target.account().eventually(  # SQS lists a deleted queue for up to a minute
            lambda: sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", []),
            lambda urls: not urls,
        )
        assert left == [], f"the test's queue survived: {left}"


class Inbox:
    """The notifications the topic delivered to the queue, in order of arrival."""

    def __init__(self, sqs, url: str, deadline: float) -> None:
        self.sqs, self.url, self.deadline = sqs, url, deadline
        self.received: list[dict] = []

    def wait_for(
        self, alarm_name: str, state: str, between=lambda: None, after: str | None = None
    ) -> tuple[dict, float]:
        """The first notification of `alarm_name` entering `state` (from `after`, if given), and
        how long it took; `between` runs before each poll of the queue."""
        started = time.monotonic()
        while time.monotonic() - started < self.deadline:
            between()
            answer = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            for message in answer.get("Messages", []):
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                envelope = json.loads(message["Body"])
                self.received.append(
                    {**json.loads(envelope["Message"]), "_subject": envelope.get("Subject")}
                )
            for notification in self.received:
                if (
                    notification["AlarmName"] == alarm_name
                    and notification["NewStateValue"] == state
                    and after in (None, notification["OldStateValue"])
                ):
                    self.received.remove(notification)
                    return notification, time.monotonic() - started
        seen = [(n["AlarmName"], n["NewStateValue"]) for n in self.received]
        raise AssertionError(f"no {state} notification of {alarm_name} in {self.deadline}s: {seen}")


def _queue_policy(queue_arn: str, topic_arn: str) -> str:
    """SNS may deliver the topic's messages to the queue, and nothing else may."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
    )


@contextmanager
def update_item_denied(stack: Stack, target: Target) -> Iterator[None]:
    """UpdateItem fails for the function until the block ends: a deny on its role (either
    target: the local account enforces the role's policies as AWS does)."""
    iam, role = target.client("iam"), stack.output("function_name")
    deny = {"Effect": "Deny", "Action": "dynamodb:UpdateItem", "Resource": "*"}
    iam.put_role_policy(
        RoleName=role,
        PolicyName=DENY_POLICY,
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]}),
    )
    try:
        yield
    finally:
        iam.delete_role_policy(RoleName=role, PolicyName=DENY_POLICY)


@contextmanager
def dynamodb_unavailable(stack: Stack, target: Target) -> Iterator[None]:
    """DynamoDB answers UpdateItem 503 ServiceUnavailable until the block ends (a fault rule:
    only the local account has them)."""
    with injected_fault(
        target.endpoint,
        service="dynamodb",
        operation="UpdateItem",
        status=503,
        code="ServiceUnavailable",
    ):
        yield


def outage_pages_then_recovers(stack: Stack, target: Target, inbox: Inbox, outage) -> None:
    """During `outage` the 5xx alarm's ALARM arrives; after it, its OK."""
    alarm_name = stack.output("alarm_names")["api-5xx"]
    url = stack.url()
    statuses: list[int] = []

    def visit() -> None:
        statuses.append(requests.get(url, timeout=TIMEOUT).status_code)

    started = time.monotonic()
    with outage(stack, target):
        alarm, to_alarm = inbox.wait_for(alarm_name, "ALARM", between=visit)
    assert any(status >= 500 for status in statuses), statuses
    assert alarm["_subject"].startswith(f'ALARM: "{alarm_name}" in ')
    assert alarm["Trigger"]["MetricName"] == "5xx"
    assert alarm["Trigger"]["Namespace"] == "AWS/ApiGateway"
    assert {d["name"] for d in alarm["Trigger"]["Dimensions"]} == {"ApiId", "Stage"}
    assert alarm["NewStateReason"].startswith("Threshold Crossed")

    statuses.clear()
    # Its first OK (from INSUFFICIENT_DATA, right after apply) may arrive late: only a recovery.
    recovered, to_ok = inbox.wait_for(alarm_name, "OK", between=visit, after="ALARM")
    assert recovered["_subject"].startswith(f'OK: "{alarm_name}" in ')
    assert statuses and statuses[-1] == 200, statuses
    print(
        f"{target.name}: 5xx alarm ALARM {to_alarm:.1f}s after the outage began, OK {to_ok:.1f}s "
        f"after it ended ({time.monotonic() - started:.1f}s)"
    )


def test_an_outage_sends_the_5xx_alarm_and_its_recovery_sends_ok(stack, target, inbox):
    outage_pages_then_recovers(stack, target, inbox, update_item_denied)


@pytest.mark.local_only(reason="DynamoDB answering 503 is a fault rule of the local account")
def test_a_dynamodb_503_outage_sends_the_5xx_alarm_and_its_recovery_sends_ok(stack, target, inbox):
    outage_pages_then_recovers(stack, target, inbox, dynamodb_unavailable)


def test_a_burst_over_the_stage_throttle_sends_the_4xx_alarm(stack, target, inbox):
    alarm_name = stack.output("alarm_names")["api-4xx"]
    url = stack.url()

    def burst() -> None:
        with ThreadPoolExecutor(max_workers=BURST) as pool:
            codes = list(
                pool.map(lambda _: requests.get(url, timeout=TIMEOUT).status_code, range(BURST))
            )
        bursts.append(codes)

    bursts: list[list[int]] = []
    alarm, waited = inbox.wait_for(alarm_name, "ALARM", between=burst)
    assert any(429 in codes for codes in bursts), bursts
    assert alarm["Trigger"]["MetricName"] == "4xx"
    assert alarm["Trigger"]["Statistic"] == "AVERAGE"
    print(f"{target.name}: 4xx alarm ALARM {waited:.1f}s after the first burst of {BURST}")


def test_the_stacks_topic_is_encrypted_with_the_accounts_shared_key(stack, target):
    """The harness passes one key per account (no ~12 s of provider waiters per apply): the
    notifications the tests above receive came through it, a real key CloudWatch may use."""
    kms = target.client("kms")
    shared = kms.describe_key(KeyId=shared_key.ALIAS)["KeyMetadata"]
    topic = target.client("sns").get_topic_attributes(TopicArn=stack.output("alarm_topic_arn"))
    assert topic["Attributes"]["KmsMasterKeyId"] == shared["Arn"]
    assert stack.output("alarm_kms_key_arn") == shared["Arn"]
    assert shared["KeyState"] == "Enabled"


@pytest.fixture(scope="module")
def own_key_stack(stack_factory) -> Iterator[Stack]:
    """A stack of its own whose alarms module makes its own key, as a real deployment does."""
    with stack_factory(EXAMPLE_COMPLETE, **{shared_key.VARIABLE: None}) as stack:
        yield stack


def test_the_modules_own_key_delivers_a_notification(own_key_stack, target):
    """SetAlarmState forces ALARM (AWS sends it; the account's clock does not); the alarm's own
    evaluation brings it back to OK at once: that OK reaches the queue through the module's key."""
    stack = own_key_stack
    key_arn = stack.output("alarm_kms_key_arn")
    own = target.client("kms").describe_key(KeyId=f"alias/{stack.prefix}-alarms")["KeyMetadata"]
    topic = target.client("sns").get_topic_attributes(TopicArn=stack.output("alarm_topic_arn"))
    assert topic["Attributes"]["KmsMasterKeyId"] == key_arn == own["Arn"]
    alarm_name = stack.output("alarm_names")["lambda-errors"]
    cloudwatch = target.client("cloudwatch")
    evaluated_once(cloudwatch, alarm_name, DEADLINE[target.name])
    with subscribed_inbox(stack, target) as inbox:
        cloudwatch.set_alarm_state(
            AlarmName=alarm_name, StateValue="ALARM", StateReason="counterstack e2e: forced"
        )
        recovered, waited = inbox.wait_for(alarm_name, "OK", after="ALARM")
    assert recovered["_subject"].startswith(f'OK: "{alarm_name}" in ')
    print(f"{target.name}: OK through the module's own key {waited:.1f}s after SetAlarmState")


def evaluated_once(cloudwatch, alarm_name: str, deadline: float) -> None:
    """Wait for the alarm's first evaluation ("Threshold Crossed"): a state forced before it
    would be overwritten by it, without a notification from ALARM."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        (alarm,) = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
        if alarm["StateReason"].startswith("Threshold Crossed"):
            return
        time.sleep(0.5)
    raise AssertionError(f"{alarm_name} was not evaluated in {deadline}s: {alarm['StateReason']}")
