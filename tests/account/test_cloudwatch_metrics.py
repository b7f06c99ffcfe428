"""The metrics API Gateway and Lambda publish, read back with GetMetricStatistics/GetMetricData.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html and
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html: names, namespaces,
dimensions, units. On AWS they reach CloudWatch minutes later (the e2e alarm test waits for
them there); here at once, so this checks the local account itself.
"""

from datetime import UTC, datetime, timedelta

import pytest
import requests

pytestmark = [
    pytest.mark.account,
    pytest.mark.local_only(reason="metrics reach CloudWatch minutes later on AWS"),
]


def statistics(account, namespace, name, dimensions, *stats):
    now = datetime.now(UTC)
    answer = account.client("cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": key, "Value": value} for key, value in dimensions.items()],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=3600,
        Statistics=list(stats),
    )
    (datapoint,) = answer["Datapoints"]
    return datapoint


def test_each_request_and_invocation_is_measured(deploy, probe, unique, account):
    api = deploy.http_api(unique("api"), probe["FunctionArn"])
    answers = [requests.get(api["url"](path), timeout=30) for path in ("/visitors",) * 2 + ("/x",)]
    assert [a.status_code for a in answers] == [200, 200, 404]
    stage = {"ApiId": api["api_id"], "Stage": "prod"}

    count = statistics(account, "AWS/ApiGateway", "Count", stage, "Sum")
    assert (count["Sum"], count["Unit"]) == (3.0, "Count")
    client_errors = statistics(account, "AWS/ApiGateway", "4xx", stage, "Sum", "Average")
    assert (client_errors["Sum"], client_errors["Average"]) == (1.0, pytest.approx(1 / 3))
    assert statistics(account, "AWS/ApiGateway", "5xx", stage, "Sum")["Sum"] == 0.0
    latency = statistics(account, "AWS/ApiGateway", "Latency", stage, "SampleCount")
    assert (latency["SampleCount"], latency["Unit"]) == (3.0, "Milliseconds")
    backend = statistics(account, "AWS/ApiGateway", "IntegrationLatency", stage, "SampleCount")
    assert backend["SampleCount"] == 2.0  # the 404 never reached the function
    whole_api = statistics(account, "AWS/ApiGateway", "Count", {"ApiId": api["api_id"]}, "Sum")
    assert whole_api["Sum"] == 3.0

    function = {"FunctionName": probe["FunctionName"]}
    assert statistics(account, "AWS/Lambda", "Invocations", function, "Sum")["Sum"] == 2.0
    assert statistics(account, "AWS/Lambda", "Errors", function, "Sum")["Sum"] == 0.0
    duration = statistics(account, "AWS/Lambda", "Duration", function, "SampleCount", "Maximum")
    assert (duration["SampleCount"], duration["Unit"]) == (2.0, "Milliseconds")
    assert duration["Maximum"] > 0
    concurrency = statistics(account, "AWS/Lambda", "ConcurrentExecutions", function, "Maximum")
    assert concurrency["Maximum"] == 1.0


def test_get_metric_data_reads_the_same_metrics(deploy, probe, unique, account):
    api = deploy.http_api(unique("api"), probe["FunctionArn"])
    assert requests.get(api["url"]("/visitors"), timeout=30).status_code == 200
    now = datetime.now(UTC)
    metric = {
        "Namespace": "AWS/ApiGateway",
        "MetricName": "Count",
        "Dimensions": [
            {"Name": "ApiId", "Value": api["api_id"]},
            {"Name": "Stage", "Value": "prod"},
        ],
    }
    answer = account.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {"Id": "count", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"}}
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
    )
    (result,) = answer["MetricDataResults"]
    assert sum(result["Values"]) == 1.0
