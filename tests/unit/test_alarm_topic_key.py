"""An alarm reaches an encrypted topic's subscribers only if the key lets CloudWatch, as on AWS.

moto's SNS stores a topic's KMS key and ignores it; the local account checks the key's policy
before the alarm clock publishes (`local/cloudwatch/topic_key.py`).
"""

import json

import boto3
import pytest
from moto import mock_aws

from counterstack.harness.shared_key import key_policy, shared_alarms_key
from counterstack.local.cloudwatch.alarm_clock import AlarmClock

pytestmark = pytest.mark.unit

REGION = "eu-west-1"
ACCOUNT = "123456789012"
NOW = 1_800_000_000.0
ROOT_ONLY = {  # KMS's default key policy: nothing for CloudWatch
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


@pytest.fixture
def aws():
    with mock_aws():
        yield {
            name: boto3.client(name, region_name=REGION)
            for name in ("cloudwatch", "sns", "sqs", "kms")
        }


def alarm_delivered(aws, key_id: str | None) -> bool:
    """Whether an alarm's notification reaches the queue of a topic encrypted with `key_id`."""
    attributes = {"KmsMasterKeyId": key_id} if key_id else {}
    topic_arn = aws["sns"].create_topic(Name="alarms", Attributes=attributes)["TopicArn"]
    url = aws["sqs"].create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = aws["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    aws["sns"].subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"]
    )
    aws["cloudwatch"].put_metric_alarm(
        AlarmName="demo-api-5xx", Namespace="AWS/ApiGateway", MetricName="5xx",
        Dimensions=[{"Name": "ApiId", "Value": "a1b2c3"}], Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic_arn],
    )  # fmt: skip
    aws["cloudwatch"].put_metric_data(
        Namespace="AWS/ApiGateway",
        MetricData=[
            {
                "MetricName": "5xx",
                "Value": 1,
                "Timestamp": NOW - 1,
                "Dimensions": [{"Name": "ApiId", "Value": "a1b2c3"}],
            }
        ],
    )
    assert AlarmClock(speedup=1).tick(NOW) == [("demo-api-5xx", "INSUFFICIENT_DATA", "ALARM")]
    return bool(aws["sqs"].receive_message(QueueUrl=url).get("Messages"))


def key_with(aws, policy: dict) -> str:
    return aws["kms"].create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]


def test_an_unencrypted_topic_receives_the_alarm(aws):
    assert alarm_delivered(aws, None)


def test_the_shared_key_lets_cloudwatch_publish(aws):
    key_arn = shared_alarms_key(lambda service: boto3.client(service, region_name=REGION))
    assert alarm_delivered(aws, key_arn)


@pytest.mark.parametrize("reference", ["arn", "id", "alias"])
def test_a_key_is_found_by_its_arn_id_or_alias(aws, reference):
    arn = key_with(aws, key_policy(ACCOUNT))
    aws["kms"].create_alias(AliasName="alias/alarms", TargetKeyId=arn)
    ids = {"arn": arn, "id": arn.rsplit("/", 1)[1], "alias": "alias/alarms"}
    assert alarm_delivered(aws, ids[reference])


def test_a_key_cloudwatch_may_not_use_stops_the_alarm(aws):
    assert not alarm_delivered(aws, key_with(aws, ROOT_ONLY))


def test_the_aws_managed_sns_key_stops_the_alarm(aws):
    """Its policy lets only SNS itself use it: CloudWatch alarms never arrive (AWS's own note)."""
    assert not alarm_delivered(aws, "alias/aws/sns")


def test_a_disabled_key_stops_the_alarm(aws):
    arn = key_with(aws, key_policy(ACCOUNT))
    aws["kms"].disable_key(KeyId=arn.rsplit("/", 1)[1])
    assert not alarm_delivered(aws, arn)


def test_a_missing_key_stops_the_alarm(aws):
    assert not alarm_delivered(aws, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/not-a-key")


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": "210987654321"}},  # another account's alarms
        {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:other-*"}},
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},  # not evaluated locally: never allows
    ],
)
def test_a_condition_the_alarm_does_not_meet_stops_it(aws, condition):
    policy = key_policy(ACCOUNT)
    policy["Statement"][1]["Condition"] = condition
    assert not alarm_delivered(aws, key_with(aws, policy))


def test_a_condition_the_alarm_meets_lets_it_through(aws):
    policy = key_policy(ACCOUNT)
    arn_pattern = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:demo-*"
    policy["Statement"][1]["Condition"]["ArnLike"] = {"aws:SourceArn": arn_pattern}
    assert alarm_delivered(aws, key_with(aws, policy))


def test_a_deny_wins_over_the_allow(aws):
    policy = key_policy(ACCOUNT)
    deny = {
        "Effect": "Deny",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    policy["Statement"].append(deny)
    assert not alarm_delivered(aws, key_with(aws, policy))
