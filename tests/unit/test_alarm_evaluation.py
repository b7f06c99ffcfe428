"""CloudWatch alarm evaluation on the local account: statistics, M of N, missing data, messages."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from moto import mock_aws

from counterstack.local.cloudwatch import statistics
from counterstack.local.cloudwatch.alarm_clock import AlarmClock
from counterstack.local.cloudwatch.evaluation import evaluate

pytestmark = pytest.mark.unit

REGION = "eu-west-1"


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [
        ("SampleCount", 5.0),
        ("Sum", 15.0),
        ("Average", 3.0),
        ("Minimum", 1.0),
        ("Maximum", 5.0),
        ("p50", 3.0),
        ("p99", 5.0),
        ("p20", 1.0),
    ],
)
def test_statistics_of_one_period(statistic, expected):
    assert statistics.compute([5, 1, 4, 2, 3], statistic) == expected


def test_a_period_without_values_has_no_statistic_and_unknown_ones_are_refused():
    assert statistics.compute([], "Sum") is None
    with pytest.raises(statistics.UnsupportedStatistic):
        statistics.compute([1.0], "tm99")


# The table of "Configuring how CloudWatch alarms treat missing data" (M = 3, N = 5 and 3 of 3);
# X breaching, Z (zero) not breaching, - missing; newest first.
X, Z, M = 2.0, 0.0, None
TABLE = [
    # datapoints, M, missing-data treatment, expected state
    ([Z, Z, X, Z, X], 3, "missing", "OK"),
    ([Z, X, X, X, Z], 3, "missing", "ALARM"),
    ([Z, M, X, M, X], 3, "notBreaching", "OK"),
    ([Z, M, X, M, X], 3, "breaching", "ALARM"),
    ([M, M, X, M, M], 3, "missing", "ALARM"),  # fewer present than M, all breaching
    ([M, M, X, M, M], 3, "notBreaching", "OK"),
    ([M, M, M, M, M], 3, "missing", "INSUFFICIENT_DATA"),
    ([M, M, M, M, M], 3, "notBreaching", "OK"),
    ([M, M, M, M, M], 3, "breaching", "ALARM"),
    ([M, M, M, M, M], 3, "ignore", "ALARM"),  # keeps its state
    ([M, M, Z], 3, "missing", "OK"),
]


@pytest.mark.parametrize(("datapoints", "m", "treatment", "state"), TABLE)
def test_m_of_n_and_missing_data_as_cloudwatch_documents(datapoints, m, treatment, state):
    outcome = evaluate(datapoints, "GreaterThanOrEqualToThreshold", 1.0, m, treatment, "ALARM")
    assert outcome.state == state


def test_the_comparison_decides_what_breaches():
    assert evaluate([1.0], "GreaterThanThreshold", 1.0, 1, "missing", "OK").state == "OK"
    assert evaluate([1.0], "GreaterThanOrEqualToThreshold", 1.0, 1, "missing", "OK").state == (
        "ALARM"
    )
    assert evaluate([0.5], "LessThanThreshold", 1.0, 1, "missing", "OK").state == "ALARM"


@pytest.fixture
def aws():
    with mock_aws():
        yield {
            name: boto3.client(name, region_name=REGION) for name in ("cloudwatch", "sns", "sqs")
        }


def subscribed_queue(aws, topic_arn):
    url = aws["sqs"].create_queue(QueueName="alarms")["QueueUrl"]
    arn = aws["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    aws["sns"].subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
    return url


def notifications(aws, url):
    messages = aws["sqs"].receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    envelopes = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    return [(e["Subject"], json.loads(e["Message"])) for e in envelopes]


def put_5xx(aws, value, at):
    aws["cloudwatch"].put_metric_data(
        Namespace="AWS/ApiGateway",
        MetricData=[
            {
                "MetricName": "5xx",
                "Value": value,
                "Unit": "Count",
                "Timestamp": at,
                "Dimensions": [
                    {"Name": "ApiId", "Value": "a1b2c3"},
                    {"Name": "Stage", "Value": "prod"},
                ],
            }
        ],
    )


NOW = 1_800_000_000.0  # the moment the clock is ticked at; datapoints carry their own
STAGE_DIMENSIONS = [{"Name": "ApiId", "Value": "a1b2c3"}, {"Name": "Stage", "Value": "prod"}]


def put_5xx_alarm(aws, name, **settings):
    """An alarm on the stage's 5xx: Sum >= 1 in one 60 s period unless `settings` say otherwise."""
    alarm = {
        "AlarmName": name,
        "Namespace": "AWS/ApiGateway",
        "MetricName": "5xx",
        "Dimensions": STAGE_DIMENSIONS,
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        **settings,
    }
    if "ExtendedStatistic" in alarm:  # one or the other
        del alarm["Statistic"]
    aws["cloudwatch"].put_metric_alarm(**alarm)


def test_a_breach_sends_the_documented_alarm_message_and_recovery_sends_ok(aws):
    """Datapoints are read by their timestamps: the clock is ticked at chosen moments."""
    topic_arn = aws["sns"].create_topic(Name="alarms")["TopicArn"]
    url = subscribed_queue(aws, topic_arn)
    put_5xx_alarm(aws, "demo-api-5xx", AlarmActions=[topic_arn], OKActions=[topic_arn])
    clock = AlarmClock(speedup=1)
    now = NOW
    assert clock.tick(now) == [("demo-api-5xx", "INSUFFICIENT_DATA", "OK")]
    put_5xx(aws, 1, now + 10)
    put_5xx(aws, 0, now + 11)
    assert clock.tick(now + 20) == [("demo-api-5xx", "OK", "ALARM")]
    assert clock.tick(now + 30) == []
    assert clock.tick(now + 80) == [("demo-api-5xx", "ALARM", "OK")]

    received = notifications(aws, url)
    assert [(subject, m["OldStateValue"], m["NewStateValue"]) for subject, m in received] == [
        ('OK: "demo-api-5xx" in EU (Ireland)', "INSUFFICIENT_DATA", "OK"),
        ('ALARM: "demo-api-5xx" in EU (Ireland)', "OK", "ALARM"),
        ('OK: "demo-api-5xx" in EU (Ireland)', "ALARM", "OK"),
    ]
    alarm = received[1][1]
    assert alarm["AlarmName"] == "demo-api-5xx"
    assert alarm["AWSAccountId"] == "123456789012"
    assert alarm["AlarmArn"].endswith(":alarm:demo-api-5xx")
    assert alarm["NewStateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints")
    assert alarm["Trigger"] == {
        "MetricName": "5xx",
        "Namespace": "AWS/ApiGateway",
        "StatisticType": "Statistic",
        "Statistic": "SUM",
        "Unit": None,
        "Dimensions": [{"value": "a1b2c3", "name": "ApiId"}, {"value": "prod", "name": "Stage"}],
        "Period": 60,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1.0,
        "TreatMissingData": "notBreaching",
        "EvaluateLowSampleCountPercentile": "",
    }
    described = aws["cloudwatch"].describe_alarms(AlarmNames=["demo-api-5xx"])["MetricAlarms"]
    assert described[0]["StateValue"] == "OK"


def test_a_faster_clock_shortens_the_periods_and_percentiles_are_evaluated(aws):
    put_5xx_alarm(
        aws, "p99", ExtendedStatistic="p99", Threshold=0.5, EvaluationPeriods=2,
        DatapointsToAlarm=2, ComparisonOperator="GreaterThanThreshold", TreatMissingData="missing",
    )  # fmt: skip
    clock = AlarmClock(speedup=20)  # periods of 3 s
    now = NOW
    put_5xx(aws, 1, now - 1)
    assert clock.tick(now) == [("p99", "INSUFFICIENT_DATA", "ALARM")]  # 1 present, breaching
    put_5xx(aws, 1, now + 2)
    put_5xx(aws, 0, now + 3.5)
    assert clock.tick(now + 4) == []  # both 3 s periods breach: p99 of [0, 1] is 1
    # Two empty 3 s periods: no data left to evaluate (a 60 s period would still hold them all).
    assert clock.tick(now + 10) == [("p99", "ALARM", "INSUFFICIENT_DATA")]
    assert AlarmClock(speedup=1).tick(now + 10) == [("p99", "INSUFFICIENT_DATA", "ALARM")]


@pytest.mark.parametrize(
    ("statistic", "samples", "low"),
    [
        ("p99", 999, True),  # 10 / (1 - 0.99) = 1,000, exactly
        ("p99", 1000, False),
        ("p50", 19, True),
        ("p50", 20, False),
        ("p10", 99, True),  # below p50: 10 / p
        ("p10", 100, False),
        ("p100", 1, False),
        ("Sum", 1, False),
        ("p99", 0, False),  # no values: missing data, which treat_missing_data decides
    ],
)
def test_a_percentile_needs_as_many_samples_as_cloudwatch_documents(statistic, samples, low):
    assert statistics.low_sample_count(statistic, samples) is low


def put_5xx_values(aws, values, at):
    """Many datapoints of the stage's 5xx at one moment (one PutMetricData call)."""
    datum = {"MetricName": "5xx", "Unit": "Count", "Timestamp": at, "Dimensions": STAGE_DIMENSIONS}
    aws["cloudwatch"].put_metric_data(
        Namespace="AWS/ApiGateway", MetricData=[{**datum, "Value": v} for v in values]
    )


def test_a_p99_alarm_that_ignores_low_samples_waits_for_enough_of_them(aws):
    """One slow request is the p99 of its minute: only the alarm that evaluates low sample counts
    fires on it; the one that ignores them fires once a minute holds the 1,000 a p99 needs."""
    p99 = dict(ExtendedStatistic="p99", Threshold=0.5, ComparisonOperator="GreaterThanThreshold")
    put_5xx_alarm(aws, "evaluating", **p99)
    put_5xx_alarm(aws, "ignoring", **p99, EvaluateLowSampleCountPercentile="ignore")
    clock = AlarmClock(speedup=1)
    put_5xx_values(aws, [1.0], NOW - 1)
    assert clock.tick(NOW) == [("evaluating", "INSUFFICIENT_DATA", "ALARM")]
    put_5xx_values(aws, [1.0] * 999, NOW + 61)
    assert clock.tick(NOW + 62) == []  # 999 samples: still too few
    put_5xx_values(aws, [1.0], NOW + 62)
    assert clock.tick(NOW + 63) == [("ignoring", "INSUFFICIENT_DATA", "ALARM")]


def test_an_alarm_on_fewer_dimensions_sees_their_sum_and_others_see_nothing(aws):
    """Services publish `ApiId` + `Stage`; `ApiId` alone reads every stage (AWS's aggregate)."""
    for name, dimensions in {
        "whole-api": [{"Name": "ApiId", "Value": "a1b2c3"}],
        "other-stage": [{"Name": "ApiId", "Value": "a1b2c3"}, {"Name": "Stage", "Value": "dev"}],
    }.items():
        put_5xx_alarm(aws, name, Dimensions=dimensions, Threshold=2)
    now = NOW
    put_5xx(aws, 1, now - 2)
    put_5xx(aws, 1, now - 1)
    changes = sorted(AlarmClock(speedup=1).tick(now))
    assert changes == [
        ("other-stage", "INSUFFICIENT_DATA", "OK"),
        ("whole-api", "INSUFFICIENT_DATA", "ALARM"),
    ]


def test_an_http_subscriber_receives_the_notification(aws):
    """SNS POSTs the notification envelope to an HTTP(S) endpoint subscribed to the topic."""
    received: list[dict] = []

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["content-length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):  # keep the test's output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        topic_arn = aws["sns"].create_topic(Name="alarms")["TopicArn"]
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/alarms"
        aws["sns"].subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=endpoint)
        put_5xx_alarm(aws, "demo-api-5xx", AlarmActions=[topic_arn])
        put_5xx(aws, 1, NOW - 1)
        assert AlarmClock(speedup=1).tick(NOW) == [("demo-api-5xx", "INSUFFICIENT_DATA", "ALARM")]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert not thread.is_alive()
    (envelope,) = received  # delivered while the alarm changed state: no waiting
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == topic_arn
    assert envelope["Subject"] == 'ALARM: "demo-api-5xx" in EU (Ireland)'
    assert json.loads(envelope["Message"])["NewStateValue"] == "ALARM"
