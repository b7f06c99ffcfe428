"""What a failing function answers, as Lambda's Python runtime words it: each `Runtime.*` type.

https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html (init and invocation errors)
"""

import base64

import pytest
from account_helpers import invoke, zip_source

pytestmark = pytest.mark.account

RETURNS_AN_OBJECT = "def handler(event, context):\n    return object()\n"
FAILS_AT_IMPORT = (
    "raise RuntimeError('no configuration')\n\ndef handler(event, context):\n    return 1\n"
)
SYNTAX_ERROR = "def handler(event, context)\n    return 1\n"


@pytest.fixture
def failing(deploy, unique):
    """deploy(files, handler, **extra) -> name: a function of these files."""

    def make(files: dict[str, str], handler: str, **extra) -> str:
        name = unique("fails")
        deploy.function(name, zip_source(files), handler=handler, **extra)
        return name

    return make


def failure(account, name: str, event=None) -> dict:
    response, payload = invoke(account, name, event or {})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    return payload


def test_an_exception_at_import_is_an_init_error_of_its_own_type(account, failing):
    payload = failure(account, failing({"app.py": FAILS_AT_IMPORT}, "app.handler"))
    assert payload["errorType"] == "RuntimeError"
    assert payload["errorMessage"] == "no configuration"
    assert payload["requestId"] == ""  # an init error belongs to no invocation
    assert any("app.py" in frame for frame in payload["stackTrace"])


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        (
            "missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        ("app.nothere", "Runtime.HandlerNotFound", "Handler 'nothere' missing on module 'app'"),
        (
            "app.handler",
            "Runtime.MarshalError",
            "Unable to marshal response: Object of type object is not JSON serializable",
        ),
    ],
    ids=["import-module-error", "handler-not-found", "marshal-error"],
)
def test_runtime_errors_are_worded_as_lambdas(account, failing, handler, error_type, message):
    """A missing module, a missing handler, an answer that is not JSON."""
    payload = failure(account, failing({"app.py": RETURNS_AN_OBJECT}, handler))
    assert (payload["errorType"], payload["errorMessage"]) == (error_type, message)


def test_a_syntax_error_is_a_user_code_syntax_error(account, failing):
    payload = failure(account, failing({"app.py": SYNTAX_ERROR}, "app.handler"))
    assert payload["errorType"] == "Runtime.UserCodeSyntaxError"
    assert payload["errorMessage"].startswith("Syntax error in module 'app': ")


def test_an_unhandled_exception_shows_only_the_functions_frames(account, probe):
    payload = failure(account, probe["FunctionName"], {"action": "raise"})
    assert payload["errorType"] == "ValueError"
    assert payload["stackTrace"]
    assert all("probe.py" in frame for frame in payload["stackTrace"]), payload["stackTrace"]


def test_a_timeout_is_reported_as_lambda_reports_it(account, deploy, probe_zip, unique):
    name = unique("timeout")
    deploy.function(name, probe_zip, Timeout=1)
    response, payload = invoke(account, name, {"action": "sleep", "seconds": 5}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    request_id = response["ResponseMetadata"]["RequestId"]
    assert payload["errorMessage"] == (
        f"RequestId: {request_id} Error: Task timed out after 1.00 seconds"
    )
    log = base64.b64decode(response["LogResult"]).decode()
    assert f"{request_id} Task timed out after 1.00 seconds" in log
    assert "Status: timeout" in log
    assert invoke(account, name, {"action": "return", "value": 1})[1] == 1  # a new environment


def test_a_process_that_exits_is_an_exit_error_and_is_replaced(account, probe):
    name = probe["FunctionName"]
    response, payload = invoke(account, name, {"action": "exit"}, LogType="Tail")
    request_id = response["ResponseMetadata"]["RequestId"]
    assert payload == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 3",
    }
    log = base64.b64decode(response["LogResult"]).decode()
    assert "Status: error\tError Type: Runtime.ExitError" in log
    assert invoke(account, name, {"action": "return", "value": 2})[1] == 2  # a new environment
