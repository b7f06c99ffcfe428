"""Start, stop, ports, reset, the CLI, the provider override and URL mapping."""

import os
import signal
import socket
import subprocess
import sys

import pytest
import requests
from account_helpers import descriptors_past_select_limit

from counterstack.errors import CounterStackError
from counterstack.harness.account_process import account_process
from counterstack.local import LocalAccount, local_url, provider_override
from counterstack.local.account import HEALTH_PATH

pytestmark = [
    pytest.mark.account,
    pytest.mark.local_only(
        reason="the local account's own lifecycle, CLI, provider override and URL mapping"
    ),
]


def test_endpoint_port_and_readiness(local_account):
    assert local_account.endpoint == f"http://127.0.0.1:{local_account.port}"
    assert local_account.port > 0
    assert requests.get(local_account.endpoint + HEALTH_PATH).json()["status"] == "running"


def test_sts_answers_the_account_id(local_account):
    """The provider learns the account id from STS: execution ARNs carry a real account."""
    identity = local_account.client("sts").get_caller_identity()
    assert identity["Account"] == local_account.account_id == "123456789012"


def test_a_taken_port_is_a_clear_error(local_account):
    with pytest.raises(CounterStackError, match=rf"port {local_account.port} is in use: stop"):
        LocalAccount(port=local_account.port).start()


def test_one_account_per_process():
    """moto's state is per process: a second account would silently share it, so it refuses."""
    with LocalAccount(port=0), pytest.raises(CounterStackError, match="already runs in this"):
        LocalAccount(port=0).start()


def test_port_before_start_is_an_error():
    with pytest.raises(CounterStackError, match="not running"):
        _ = LocalAccount(port=0).port


def test_inventory_lists_what_the_stack_creates(local_account, unique):
    name = unique("inv")
    local_account.client("logs").create_log_group(logGroupName=f"/aws/lambda/{name}")
    assert f"/aws/lambda/{name}" in local_account.inventory()["log_groups"]
    local_account.client("logs").delete_log_group(logGroupName=f"/aws/lambda/{name}")
    assert f"/aws/lambda/{name}" not in local_account.inventory()["log_groups"]


def run_cli_account(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "counterstack.cli", "account", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_cli_account_runs_in_the_foreground_and_stops_on_sigterm():
    """Also: stop kills the Lambda workers and the port is free again afterwards."""
    process = run_cli_account("--port", "0")
    try:
        first = process.stdout.readline()
        assert first.startswith("local AWS account ready at http://127.0.0.1:")
        endpoint = first.split(" at ")[1].split()[0]
        assert requests.get(endpoint + HEALTH_PATH).ok
        lines = [process.stdout.readline() for _ in range(20)]
        assert any("AWS_ENDPOINT_URL" in line for line in lines)
        assert any('provider "aws"' in line for line in lines)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0
        assert "local account stopped" in output
        with pytest.raises(requests.ConnectionError):
            requests.get(endpoint + HEALTH_PATH, timeout=2)
    finally:
        if process.poll() is None:
            process.kill()


def test_cli_account_reports_a_taken_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process = run_cli_account("--port", str(port))
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert f"port {port} is in use: stop the other process or pass --port" in output


# The account's own process is the workers' parent: there, the moment reset() or stop() returns,
# a worker it killed and reaped is gone (os.kill raises), and one left running or unreaped (a
# zombie) is still there. No waiting: the order of events is the proof.
STOP_SCRIPT = """
import json, os
from account_helpers import PROBE_SOURCE, zip_source
from counterstack.seed import LAMBDA_TRUST_POLICY
from counterstack.local import LocalAccount

def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False

account = LocalAccount(port=0).start()
def function():
    role = account.client("iam").create_role(
        RoleName="r", AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY
    )
    account.client("lambda").create_function(
        FunctionName="f", Runtime="python3.12", Role=role["Role"]["Arn"], Handler="probe.handler",
        Code={"ZipFile": zip_source({"probe.py": PROBE_SOURCE})},
    )
    answer = account.client("lambda").invoke(FunctionName="f")["Payload"].read()
    assert account.worker_count() == 1
    return json.loads(answer)["pid"]

before_reset = function()
account.reset()
assert account.worker_count() == 0 and account.inventory()["lambda_functions"] == []
print("reset", before_reset, gone(before_reset))
before_stop = function()  # still serving after a reset
account.stop()
print("stop", before_stop, gone(before_stop))
"""


def test_stop_and_reset_kill_the_workers(tmp_path):
    """Workers die with the account: once reset() or stop() returns, the worker process is gone."""
    env = {**os.environ, "PYTHONPATH": os.path.dirname(__file__)}
    result = subprocess.run(
        [sys.executable, "-c", STOP_SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    reported = [line.split() for line in result.stdout.splitlines()[-2:]]
    assert [(step, found) for step, _, found in reported] == [("reset", "True"), ("stop", "True")]
    assert reported[0][1] != reported[1][1], "the function after reset ran in a new worker"


def test_provider_override_points_every_service_here():
    text = provider_override("http://127.0.0.1:4566", "eu-west-1", {"owner": "${evil}"})
    for service in ("sts", "iam", "dynamodb", "lambda", "apigateway", "apigatewayv2", "logs", "s3"):
        assert f'{service.ljust(12)} = "http://127.0.0.1:4566"' in text
    for flag in (
        "skip_credentials_validation = true",
        "skip_metadata_api_check     = true",
        "skip_region_validation      = true",
        "s3_use_path_style           = true",
    ):
        assert flag in text
    assert "skip_requesting_account_id" not in text
    assert '"owner" = "$${evil}"' in text  # interpolation made literal
    assert 'region                      = "eu-west-1"' in text


@pytest.mark.parametrize(
    ("invoke_url", "expected"),
    [
        ("https://abc123.execute-api.eu-west-1.amazonaws.com", "/_aws/execute-api/abc123"),
        ("https://abc123.execute-api.eu-west-1.amazonaws.com/", "/_aws/execute-api/abc123"),
        (
            "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
            "/_aws/execute-api/abc123/prod",
        ),
        (
            "https://abc123.execute-api.us-east-1.amazonaws.com/prod/visitors?x=1",
            "/_aws/execute-api/abc123/prod/visitors?x=1",
        ),
    ],
)
def test_local_url_maps_aws_invoke_urls(invoke_url, expected):
    assert local_url(invoke_url, "http://127.0.0.1:4566") == "http://127.0.0.1:4566" + expected


def test_local_url_rejects_other_urls():
    with pytest.raises(ValueError, match="not an execute-api URL"):
        local_url("https://example.com/prod", "http://127.0.0.1:4566")


def test_the_harness_starts_an_account_past_descriptor_1024():
    """The harness waits for the account's ready line; select() could not watch that pipe."""
    with descriptors_past_select_limit(), account_process(port=0, region="eu-west-1") as endpoint:
        assert requests.get(endpoint + HEALTH_PATH, timeout=10).json()["status"] == "running"
