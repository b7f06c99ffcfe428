"""modules/alarms: given a function and a stage, the plan holds a topic, its key and the alarms."""

import json

import pytest

from counterstack.harness.plan import validation_messages
from counterstack.harness.plan_batch import Variant
from counterstack.paths import MODULES_DIR

pytestmark = pytest.mark.modules

ALARMS = MODULES_DIR / "alarms"
TOPIC = "aws_sns_topic.this"
KEY = "aws_kms_key.this[0]"
ACCOUNT = "123456789012"  # moto's account
REQUIRED = {"name": "plan-test", "function_name": "plan-test-fn", "api_id": "a1b2c3d4e5"}
NOBODY_TOLD = {**REQUIRED, "allow_no_subscribers": True}
DEFAULT_ALARMS = ["api-5xx", "api-latency", "lambda-duration", "lambda-errors", "lambda-throttles"]
COUNT_ALARMS = [kind for kind in DEFAULT_ALARMS if kind != "api-latency"]

OWN_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0b5e1c1e-8f3a-4c1e-9d55-3c1f2e7a9b10"


def alarm(summary, kind):
    return summary.values[f'aws_cloudwatch_metric_alarm.this["{kind}"]']


def planned(package_path: str) -> dict[str, Variant]:
    """This file's input sets (tests/modules/conftest.py plans every file's in one plan)."""
    return {
        "minimal": (ALARMS, dict(**NOBODY_TOLD)),
        "everything": (
            ALARMS,
            dict(
                **REQUIRED,
                stage_name="dev",
                function_timeout=5,
                alarm_emails=["owner@example.com", "oncall@example.com"],
                create_4xx_alarm=True,
                api_4xx_rate_threshold=0.2,
                create_latency_alarm=False,
                period=300,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                treat_missing_data="breaching",
                errors_threshold=5,
                api_5xx_threshold=3,
                duration_threshold_percent=50,
                tags={"Team": "web"},
            ),
        ),
        "own-key": (ALARMS, dict(**NOBODY_TOLD, kms_master_key_id=OWN_KEY)),
        "latency-periods": (
            ALARMS,
            dict(
                **NOBODY_TOLD,
                evaluation_periods=2,
                datapoints_to_alarm=2,
                latency_evaluation_periods=10,
                latency_datapoints_to_alarm=4,
            ),
        ),
    }


@pytest.fixture
def minimal(plans):
    return plans["minimal"]


@pytest.fixture
def everything(plans):
    return plans["everything"]


def test_plan_holds_a_key_its_alias_a_topic_and_five_alarms_by_default(minimal):
    assert minimal.counts == {
        "resources": 8,
        "aws_kms_key": 1,
        "aws_kms_alias": 1,
        "aws_sns_topic": 1,
        "aws_cloudwatch_metric_alarm": 5,
    }
    names = sorted(alarm(minimal, kind)["alarm_name"] for kind in DEFAULT_ALARMS)
    assert names == [f"plan-test-{kind}" for kind in DEFAULT_ALARMS]
    assert minimal.values[TOPIC]["name"] == "plan-test-alarms"
    assert minimal.values["aws_kms_alias.this[0]"]["name"] == "alias/plan-test-alarms"


def test_every_alarm_notifies_the_topic_on_alarm_and_on_ok(minimal):
    for kind in DEFAULT_ALARMS:
        for actions in ("alarm_actions", "ok_actions"):
            assert minimal.references(f'aws_cloudwatch_metric_alarm.this["{kind}"]', actions) == [
                "aws_sns_topic.this.arn",
                "aws_sns_topic.this",
            ], (kind, actions)


def test_defaults_are_one_minute_one_datapoint_and_a_quiet_site_is_fine(minimal):
    for kind in COUNT_ALARMS:
        values = alarm(minimal, kind)
        settings = (values["period"], values["evaluation_periods"], values["datapoints_to_alarm"])
        assert settings == (60, 1, 1), kind
        assert values.get("evaluate_low_sample_count_percentiles") is None, kind  # unknown: unset
    for kind in DEFAULT_ALARMS:
        assert alarm(minimal, kind)["treat_missing_data"] == "notBreaching", kind


def test_one_slow_minute_of_a_quiet_site_does_not_page(minimal):
    """p99 of a minute with one request is that request (a cold start): the latency alarm needs
    3 of 5 minutes, and a minute with fewer samples than a p99 needs leaves its state alone."""
    latency = alarm(minimal, "api-latency")
    assert (latency["period"], latency["evaluation_periods"], latency["datapoints_to_alarm"]) == (
        60,
        5,
        3,
    )
    assert latency["evaluate_low_sample_count_percentiles"] == "ignore"


def test_the_latency_alarm_has_periods_of_its_own(plans):
    summary = plans["latency-periods"]
    latency = alarm(summary, "api-latency")
    assert (latency["evaluation_periods"], latency["datapoints_to_alarm"]) == (10, 4)
    for kind in COUNT_ALARMS:
        values = alarm(summary, kind)
        assert (values["evaluation_periods"], values["datapoints_to_alarm"]) == (2, 2), kind


@pytest.mark.parametrize(
    ("kind", "namespace", "metric", "statistic", "comparison", "threshold"),
    [
        ("lambda-errors", "AWS/Lambda", "Errors", "Sum", "GreaterThanOrEqualToThreshold", 1),
        ("lambda-throttles", "AWS/Lambda", "Throttles", "Sum", "GreaterThanOrEqualToThreshold", 1),
        ("lambda-duration", "AWS/Lambda", "Duration", "Maximum", "GreaterThanThreshold", 8000),
        ("api-5xx", "AWS/ApiGateway", "5xx", "Sum", "GreaterThanOrEqualToThreshold", 1),
        ("api-latency", "AWS/ApiGateway", "Latency", None, "GreaterThanThreshold", 2000),
    ],
)
def test_each_alarm_watches_the_metric_aws_publishes(
    minimal, kind, namespace, metric, statistic, comparison, threshold
):
    values = alarm(minimal, kind)
    assert (values["namespace"], values["metric_name"]) == (namespace, metric)
    assert values["statistic"] == statistic
    assert values["comparison_operator"] == comparison
    assert values["threshold"] == threshold
    expected = (
        {"FunctionName": "plan-test-fn"}
        if namespace == "AWS/Lambda"
        else {"ApiId": "a1b2c3d4e5", "Stage": "prod"}
    )
    assert values["dimensions"] == expected


def test_latency_is_the_p99_extended_statistic(minimal):
    assert alarm(minimal, "api-latency")["extended_statistic"] == "p99"


def test_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use(minimal):
    assert minimal.values[KEY]["enable_key_rotation"] is True
    assert "aws_kms_key.this[0].arn" in minimal.references(TOPIC, "kms_master_key_id")
    policy = json.loads(minimal.values[KEY]["policy"])
    (cloudwatch,) = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchAlarmsPublish"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_only_this_accounts_cloudwatch_alarms_may_publish(minimal):
    topic_arn = f"arn:aws:sns:eu-west-1:{ACCOUNT}:plan-test-alarms"
    policy = json.loads(minimal.values[TOPIC]["policy"])
    (cloudwatch,) = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchAlarmsPublish"]
    assert cloudwatch == {
        "Sid": "CloudWatchAlarmsPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }
    assert {s["Resource"] for s in policy["Statement"]} == {topic_arn}


def test_no_email_subscription_without_addresses(minimal):
    assert "aws_sns_topic_subscription" not in minimal.counts


def test_every_input_reaches_the_alarms(everything):
    assert everything.counts["aws_cloudwatch_metric_alarm"] == 5
    assert "api-latency" not in {a.split('"')[1] for a in everything.values if "metric_alarm" in a}
    four = alarm(everything, "api-4xx")
    assert (four["metric_name"], four["statistic"], four["threshold"]) == ("4xx", "Average", 0.2)
    assert four["dimensions"] == {"ApiId": "a1b2c3d4e5", "Stage": "dev"}
    for kind in ("api-4xx", "api-5xx", "lambda-errors", "lambda-throttles", "lambda-duration"):
        values = alarm(everything, kind)
        assert (values["period"], values["evaluation_periods"]) == (300, 3), kind
        assert values["datapoints_to_alarm"] == 2, kind
        assert values["treat_missing_data"] == "breaching", kind
        assert values["tags"] == {"Team": "web"}, kind
    assert alarm(everything, "lambda-errors")["threshold"] == 5
    assert alarm(everything, "api-5xx")["threshold"] == 3
    assert alarm(everything, "lambda-duration")["threshold"] == 2500  # 50% of 5 s


def test_each_email_is_subscribed(everything):
    subscriptions = {
        address: values
        for address, values in everything.values.items()
        if address.startswith("aws_sns_topic_subscription.email")
    }
    assert sorted(v["endpoint"] for v in subscriptions.values()) == [
        "oncall@example.com",
        "owner@example.com",
    ]
    assert {v["protocol"] for v in subscriptions.values()} == {"email"}


def test_a_given_key_replaces_the_modules_own(plans):
    summary = plans["own-key"]
    assert "aws_kms_key" not in summary.counts
    assert "aws_kms_alias" not in summary.counts
    assert summary.values[TOPIC]["kms_master_key_id"] == OWN_KEY


INVALID = {
    "name-space": ({"name": "my stack"}, "name"),
    "function-bad": ({"function_name": "bad name"}, "function_name"),
    "api-id-upper": ({"api_id": "ABC"}, "api_id"),
    "stage-bad": ({"stage_name": "prod stage"}, "stage_name"),
    "timeout-zero": ({"function_timeout": 0}, "function_timeout"),
    "email-bad": ({"alarm_emails": ["owner"]}, "alarm_emails"),
    "period-30": ({"period": 30}, "period"),
    "period-90": ({"period": 90}, "period"),
    "evaluation-zero": ({"evaluation_periods": 0}, "evaluation_periods"),
    "datapoints-over": ({"datapoints_to_alarm": 2}, "datapoints_to_alarm"),
    "missing-bad": ({"treat_missing_data": "ignored"}, "treat_missing_data"),
    "errors-zero": ({"errors_threshold": 0}, "errors_threshold"),
    "throttles-zero": ({"throttles_threshold": 0}, "throttles_threshold"),
    "duration-100": ({"duration_threshold_percent": 100}, "duration_threshold_percent"),
    "5xx-zero": ({"api_5xx_threshold": 0}, "api_5xx_threshold"),
    "4xx-percent": ({"api_4xx_rate_threshold": 5}, "api_4xx_rate_threshold"),
    "latency-zero": ({"latency_p99_threshold": 0}, "latency_p99_threshold"),
    "latency-periods-zero": ({"latency_evaluation_periods": 0}, "latency_evaluation_periods"),
    "latency-periods-half": ({"latency_evaluation_periods": 2.5}, "latency_evaluation_periods"),
    "latency-datapoints-zero": ({"latency_datapoints_to_alarm": 0}, "latency_datapoints_to_alarm"),
    "latency-datapoints-over": (
        {"latency_evaluation_periods": 2, "latency_datapoints_to_alarm": 3},
        "latency_datapoints_to_alarm",
    ),
    "aws-managed-key": ({"kms_master_key_id": "alias/aws/sns"}, "kms_master_key_id"),
    "nobody-told": ({"alarm_emails": [], "allow_no_subscribers": False}, "alarm_emails"),
    "nobody-told-by-default": ({"alarm_emails": [], "allow_no_subscribers": None}, "alarm_emails"),
}


@pytest.fixture(scope="module")
def outcomes(judged):
    """Every case judged by one plan of the module's variables: its errors, "" if it passes."""
    cases = {case: {**NOBODY_TOLD, **inputs} for case, (inputs, _) in INVALID.items()}
    cases = {
        case: {k: v for k, v in inputs.items() if v is not None} for case, inputs in cases.items()
    }
    return judged(ALARMS, {**cases, "someone-told": {**REQUIRED, "alarm_emails": ["a@b.co"]}})


def test_an_empty_subscriber_list_is_refused_naming_the_input_that_allows_it(outcomes):
    """A topic nobody hears is a silent outage: refused at plan time unless said on purpose."""
    (message,) = validation_messages(outcomes["nobody-told-by-default"])["alarm_emails"]
    assert "allow_no_subscribers = true" in message
    assert outcomes["someone-told"] == ""


@pytest.mark.parametrize("case", INVALID)
def test_invalid_input_is_rejected_naming_the_variable(outcomes, case):
    variable = INVALID[case][1]
    messages = validation_messages(outcomes[case])
    assert list(messages) == [variable]
    assert all(message.startswith(f"{variable} ") for message in messages[variable])
