"""What Lambda writes around a function's output, in the text and the JSON log format, and what
the runtime client hands the function (the Runtime API's headers become the context).

https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html (START, END, REPORT)
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
"""

import base64
import json
import re

import pytest
from account_helpers import zip_source

pytestmark = pytest.mark.account

LOGGING_SOURCE = """
import logging, os

def handler(event, context):
    print("printed line")
    logging.getLogger().warning("warned %s", "once")
    return {
        "request_id": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "stream": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "custom": context.client_context.custom if context.client_context else None,
        "trace": os.environ.get("_X_AMZN_TRACE_ID", ""),
    }
"""
NUMBER = r"\d+(?:\.\d+)?"
REPORT = (
    r"REPORT RequestId: {id}\tDuration: {n} ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t"
    r"Max Memory Used: \d+ MB\t"
)


@pytest.fixture
def logging_function(deploy, unique):
    """deploy(**extra) -> name: LOGGING_SOURCE as `app.handler`, 128 MB."""

    def make(**extra) -> str:
        name = unique("logs")
        deploy.function(
            name, zip_source({"app.py": LOGGING_SOURCE}), handler="app.handler", **extra
        )
        return name

    return make


def tail(account, name: str, **extra) -> tuple[str, dict, list[str]]:
    """(request id, answer, log lines) of one invocation with LogType=Tail."""
    response = account.client("lambda").invoke(FunctionName=name, LogType="Tail", **extra)
    assert "FunctionError" not in response
    answer = json.loads(response["Payload"].read())
    lines = base64.b64decode(response["LogResult"]).decode().splitlines()
    return response["ResponseMetadata"]["RequestId"], answer, lines


def test_text_logs_have_start_end_and_report_with_init_duration_when_cold(
    account, logging_function
):
    name = logging_function()
    client = account.client("lambda")
    assert client.get_function_configuration(FunctionName=name)["LoggingConfig"] == {
        "LogFormat": "Text",
        "LogGroup": f"/aws/lambda/{name}",
    }
    for cold in (True, False):
        request_id, answer, lines = tail(account, name)
        assert answer["request_id"] == request_id
        start = lines.index(f"START RequestId: {request_id} Version: $LATEST")
        end = lines.index(f"END RequestId: {request_id}")
        assert start < lines.index("printed line") < end
        warned = [line for line in lines if line.startswith("[WARNING]\t")]
        assert len(warned) == 1 and warned[0].endswith(f"\t{request_id}\twarned once")
        report = lines[end + 1]
        assert re.match(REPORT.format(id=request_id, n=NUMBER), report), report
        assert ("\tInit Duration: " in report) is cold, report


def test_json_logs_are_json_objects_from_lambda_and_from_the_runtime_client(
    account, logging_function
):
    name = logging_function(LoggingConfig={"LogFormat": "JSON"})
    config = account.client("lambda").get_function_configuration(FunctionName=name)
    assert config["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": f"/aws/lambda/{name}",
    }
    request_id, _, lines = tail(account, name)
    assert "printed line" in lines  # print stays plain text, as on Lambda
    records = [json.loads(line) for line in lines if line.startswith("{")]
    by_type = {record.get("type") or record.get("level"): record for record in records}
    assert by_type["platform.start"]["record"] == {"requestId": request_id, "version": "$LATEST"}
    warning = by_type["WARNING"]
    assert (warning["message"], warning["requestId"]) == ("warned once", request_id)
    report = by_type["platform.report"]["record"]
    assert report["requestId"] == request_id
    assert report["status"] == "success"
    assert {"durationMs", "billedDurationMs", "maxMemoryUsedMB", "initDurationMs"} <= set(
        report["metrics"]
    )
    assert report["metrics"]["memorySizeMB"] == 128


def test_the_context_carries_what_the_runtime_api_delivered(account, logging_function):
    """Request id, function ARN, deadline, client context and trace id reach the handler."""
    name = logging_function(Timeout=5)
    custom = {"caller": "account-tests"}
    client_context = base64.b64encode(json.dumps({"custom": custom}).encode()).decode()
    request_id, answer, _ = tail(account, name, ClientContext=client_context)
    assert answer["request_id"] == request_id
    assert answer["arn"] == f"arn:aws:lambda:{account.region}:{account.account_id}:function:{name}"
    assert (answer["name"], answer["memory"]) == (name, "128")  # a string, as on Lambda
    assert "[$LATEST]" in answer["stream"]
    assert 0 < answer["remaining_ms"] <= 5000
    assert answer["custom"] == custom
    assert answer["trace"].startswith("Root=1-")
