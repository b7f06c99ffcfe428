"""A function sees what Lambda gives it: its zip, the runtime's libraries, Lambda's variables.

https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html (Runtime.ImportModuleError)
"""

import pytest
import requests
from account_helpers import REGION, invoke, zip_source

from counterstack.local.awslambda import execution_environment
from counterstack.local.client import HEALTH_PATH

pytestmark = [
    pytest.mark.account,
    pytest.mark.local_only(
        reason="checks what the local runtime's worker processes can import and see"
    ),
]

SANDBOX_PROBE = """
import os, sys
import boto3, botocore

def handler(event, context):
    return {
        "env": dict(os.environ),
        "path": sys.path,
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "boto3_file": boto3.__file__,
        "python": "%d.%d" % sys.version_info[:2],
        "arn": context.invoked_function_arn,
    }
"""
# Set by Lambda for every python3.12 function (the role session's three included).
LAMBDA_VARIABLES = {
    "_HANDLER",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_RUNTIME_API",
    "_X_AMZN_TRACE_ID",  # set per invocation by the runtime client, from Lambda-Runtime-Trace-Id
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "LANG",
    "PATH",
    "TZ",
}
# Added by the local account only: the endpoint, and guards against the machine's own profiles.
LOCAL_VARIABLES = {
    "AWS_ENDPOINT_URL",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_EC2_METADATA_DISABLED",
}


def test_a_package_of_the_venv_but_not_the_zip_cannot_be_imported(local_account, deploy, unique):
    """`requests` is in the project's venv, not in the zip nor in Lambda's runtime: as on AWS,
    the function fails to initialise with Runtime.ImportModuleError."""
    code = zip_source({"uses_requests.py": "import requests\n\ndef handler(e, c):\n    return 1\n"})
    name = unique("imports")
    deploy.function(name, code, handler="uses_requests.handler")
    response, payload = invoke(local_account, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert payload["errorMessage"] == (
        "Unable to import module 'uses_requests': No module named 'requests'"
    )


def test_environment_is_exactly_lambdas_plus_the_functions(local_account, deploy, unique):
    """Nothing of the account's own environment reaches the function."""
    name = unique("sandbox")
    deploy.function(
        name,
        zip_source({"probe.py": SANDBOX_PROBE}),
        MemorySize=256,
        Environment={"Variables": {"PROBE_COLOUR": "blue"}},
    )
    _, seen = invoke(local_account, name, {})
    env = seen["env"]
    assert set(env) == LAMBDA_VARIABLES | LOCAL_VARIABLES | {"PROBE_COLOUR"}
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["_HANDLER"] == "probe.handler"
    assert env["TZ"] == ":UTC" and env["LANG"] == "en_US.UTF-8"
    # The functions' own port of this account (its health names the public endpoint).
    function_port = requests.get(env["AWS_ENDPOINT_URL"] + HEALTH_PATH, timeout=10).json()
    assert function_port["endpoint"] == local_account.endpoint
    assert seen["arn"] == f"arn:aws:lambda:{REGION}:{local_account.account_id}:function:{name}"


def test_only_the_zip_and_the_runtime_libraries_are_importable(local_account, deploy, unique):
    """sys.path: the code, then the runtime's own boto3 (pinned), then the standard library."""
    name = unique("syspath")
    deploy.function(name, zip_source({"probe.py": SANDBOX_PROBE}))
    _, seen = invoke(local_account, name, {})
    task_root, runtime_dir = seen["env"]["LAMBDA_TASK_ROOT"], seen["env"]["LAMBDA_RUNTIME_DIR"]
    assert seen["path"][:2] == [task_root, runtime_dir]
    assert not [entry for entry in seen["path"] if "site-packages" in entry]
    assert seen["boto3_file"].startswith(runtime_dir)
    pinned = dict(package.split("==") for package in execution_environment.RUNTIME_PACKAGES)
    assert (seen["boto3"], seen["botocore"]) == (pinned["boto3"], pinned["botocore"])
    if execution_environment.interpreter("python3.12") != execution_environment.sys.executable:
        assert seen["python"] == "3.12"
