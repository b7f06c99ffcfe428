"""lambda:Invoke runs the deployed zip in warm local workers, as Lambda would.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
"""

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from account_helpers import (
    REGION,
    descriptors_past_select_limit,
    invoke,
    probe_spec,
    process_gone,
    zip_source,
)
from botocore.exceptions import ClientError

from counterstack.local.awslambda.runtime import LambdaRuntime
from counterstack.local.client import HEALTH_PATH

pytestmark = pytest.mark.account

ALLOW_UPDATE_ITEM = {"Effect": "Allow", "Action": "dynamodb:UpdateItem"}
ALLOW_LOGS = {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"]}
GET_VISITORS = {
    "version": "2.0",
    "rawPath": "/visitors",
    "requestContext": {"http": {"method": "GET", "path": "/visitors"}, "stage": "$default"},
}


def test_invoke_runs_the_deployed_counter_against_the_account(
    account, deploy, counter_zip, unique, execution_role
):
    """boto3 lambda.invoke runs visitor_counter.handler.handler; its UpdateItem lands here."""
    table = deploy.table(unique("table"))
    table_arn = account.client("dynamodb").describe_table(TableName=table)["Table"]["TableArn"]
    name = unique("counter")
    role = execution_role(name, [ALLOW_UPDATE_ITEM | {"Resource": table_arn}])
    deploy.function(
        name,
        counter_zip,
        handler="visitor_counter.handler.handler",
        Role=role,
        Environment={"Variables": {"TABLE_NAME": table}},
    )
    for expected in (1, 2):
        response, payload = invoke(account, name, GET_VISITORS)
        assert response["StatusCode"] == 200
        assert "FunctionError" not in response
        assert json.loads(payload["body"]) == {"count": expected}
    item = account.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "visitors"}})[
        "Item"
    ]
    assert item["count"] == {"N": "2"}


@pytest.mark.local_only(reason="checks the local runtime's endpoint and credential variables")
def test_environment_is_the_functions_plus_lambdas_own(local_account, deploy, probe_zip, unique):
    """Function variables, the runtime's reserved variables, fake credentials, the endpoint."""
    name = unique("env")
    deploy.function(name, probe_zip, Environment={"Variables": {"PROBE_COLOUR": "blue"}})
    _, payload = invoke(local_account, name, {})
    env = payload["env"]
    assert env["PROBE_COLOUR"] == "blue"
    # The functions' own port of this account (its health names the public endpoint).
    function_port = requests.get(env["AWS_ENDPOINT_URL"] + HEALTH_PATH, timeout=10).json()
    assert function_port["endpoint"] == local_account.endpoint
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")  # a session of the execution role
    assert env["AWS_SESSION_TOKEN"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["_HANDLER"] == "probe.handler"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["LAMBDA_TASK_ROOT"] == payload["cwd"]
    assert 0 < payload["remaining_ms"] <= 3000
    assert payload["request_id"]


def test_unhandled_exception_is_reported_as_lambda_does(account, probe):
    response, payload = invoke(account, probe["FunctionName"], {"action": "raise"})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "probe failed on purpose"
    assert isinstance(payload["stackTrace"], list) and payload["stackTrace"]


@pytest.mark.local_only(reason="worker processes are the local runtime's")
def test_timeout_kills_the_worker_and_the_next_invocation_gets_a_new_one(
    local_account, deploy, probe_zip, unique, tmp_path
):
    """The answer comes at the timeout, not after the handler's 30 s sleep: when it arrives the
    handler never got past its sleep (no mark) and its worker is already gone."""
    name = unique("slow")
    deploy.function(name, probe_zip, Timeout=1)
    _, first = invoke(local_account, name, {})  # the warm worker the next invocation reuses
    finished = tmp_path / "slept"
    sleep = {"action": "sleep", "seconds": 30, "mark": str(finished)}
    response, payload = invoke(local_account, name, sleep)
    assert not finished.exists(), "the answer waited for the handler's sleep"
    assert process_gone(first["pid"]), "the timed-out worker still runs"
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]
    _, after = invoke(local_account, name, {})
    assert after["pid"] != first["pid"]


def test_a_crashing_process_is_an_unhandled_error(account, probe):
    response, payload = invoke(account, probe["FunctionName"], {"action": "exit"})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ExitError"


def test_missing_handler_module_is_an_import_error(account, deploy, probe_zip, unique):
    name = unique("nohandler")
    deploy.function(name, probe_zip, handler="missing.handler")
    response, payload = invoke(account, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"


@pytest.mark.local_only(reason="worker processes are the local runtime's")
def test_warm_worker_is_reused_until_the_configuration_changes(local_account, probe):
    name = probe["FunctionName"]
    pids = {invoke(local_account, name, {})[1]["pid"] for _ in range(3)}
    assert len(pids) == 1
    client = local_account.client("lambda")
    client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"PROBE_COLOUR": "red"}}
    )
    _, payload = invoke(local_account, name, {})
    assert payload["pid"] not in pids
    assert payload["env"]["PROBE_COLOUR"] == "red"


@pytest.mark.local_only(reason="worker processes are the local runtime's")
def test_new_code_gets_a_new_worker(local_account, probe):
    name = probe["FunctionName"]
    invoke(local_account, name, {})
    new_code = zip_source({"probe.py": "def handler(event, context):\n    return 'v2'\n"})
    local_account.client("lambda").update_function_code(FunctionName=name, ZipFile=new_code)
    assert invoke(local_account, name, {})[1] == "v2"


@pytest.mark.local_only(reason="worker processes are the local runtime's")
def test_concurrent_invocations_run_in_parallel(local_account, deploy, probe_zip, unique, tmp_path):
    """Three invocations meet inside the handler: each waits until all three are there, which
    only workers running side by side can do (one at a time, the first would wait alone)."""
    name = unique("parallel")
    deploy.function(name, probe_zip, Timeout=60)
    meet = lambda n: {  # noqa: E731
        "action": "wait",
        "here": str(tmp_path / f"here-{n}"),
        "until": str(tmp_path / "here-*"),
        "count": 3,
    }
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda n: invoke(local_account, name, meet(n))[1], range(3)))
    assert [result["seen"] for result in results] == [3, 3, 3], results
    assert len({result["pid"] for result in results}) == 3


def test_invocation_types_event_and_dry_run(account, probe):
    name = probe["FunctionName"]
    client = account.client("lambda")
    assert client.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    assert client.invoke(FunctionName=name, InvocationType="Event")["StatusCode"] == 202


@pytest.mark.local_only(reason="on AWS delivery to CloudWatch takes seconds")
def test_log_tail_and_cloudwatch_logs(local_account, deploy, probe_zip, unique, execution_role):
    """LogType=Tail returns the log; the function's log group gets START/output/END/REPORT
    (written with the execution role, which must allow it)."""
    name = unique("logs")
    logs = local_account.client("logs")
    group_arn = f"arn:aws:logs:{REGION}:{local_account.account_id}:log-group:/aws/lambda/{name}"
    role = execution_role(name, [ALLOW_LOGS | {"Resource": f"{group_arn}:*"}])
    deploy.function(name, probe_zip, Role=role)
    deploy.log_group(f"/aws/lambda/{name}")
    response = local_account.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps({"action": "print"}), LogType="Tail"
    )
    assert "hello from the probe" in base64.b64decode(response["LogResult"]).decode()
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    messages = [event["message"] for event in events]
    request_id = response["ResponseMetadata"]["RequestId"]
    assert messages[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert "hello from the probe" in messages
    assert messages[-2] == f"END RequestId: {request_id}"
    assert messages[-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
    assert "\tInit Duration: " in messages[-1]  # the environment's first invocation


def test_unknown_function_is_resource_not_found(account):
    with pytest.raises(ClientError) as caught:
        invoke(account, "no-such-function", {})
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.local_only(reason="a limit of the local runtime")
def test_a_non_python_runtime_cannot_run_locally(local_account, deploy, probe_zip, unique):
    name = unique("node")
    deploy.function(name, probe_zip, Runtime="nodejs20.x")
    with pytest.raises(ClientError) as caught:
        invoke(local_account, name, {})
    assert "only python3.x" in str(caught.value)


@pytest.mark.local_only(reason="worker pipes are the local runtime's")
def test_a_worker_answers_when_its_pipe_is_past_descriptor_1024(tmp_path):
    """select.select() cannot watch descriptors past 1024; a long-lived account can hold that
    many (connections, worker pipes), so the runtime must not depend on it."""
    runtime = LambdaRuntime("http://127.0.0.1:9")  # the probe makes no SDK call
    spec = probe_spec("fd-probe")
    try:
        with descriptors_past_select_limit():
            invocation = runtime.invoke(spec, json.dumps({"action": "return", "value": 7}).encode())
        assert invocation.error is None, invocation.payload
        assert json.loads(invocation.payload) == 7
    finally:
        runtime.close()
    assert runtime.worker_count() == 0
