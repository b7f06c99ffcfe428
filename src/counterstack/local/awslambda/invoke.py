"""`lambda:Invoke` served by the local runtime instead of moto's Docker-based one.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: `RequestResponse` answers 200 with
the function's payload (and `X-Amz-Function-Error: Unhandled` plus
`{errorMessage, errorType, stackTrace}` when it failed), `Event` answers 202 and runs in the
background, `DryRun` answers 204. `LogType: Tail` adds the last 4 KB of the log, base64-encoded,
in `X-Amz-Log-Result`. Lookup errors (unknown function, bad qualifier) are left to moto, which
already answers them as Lambda does.

The log is what Lambda writes (START, the function's output, END, REPORT: see `runtime`), in the
function's LoggingConfig format. The function runs with a session of its execution role (its SDK
calls are checked against the role's policies, see `counterstack.local.iam`), and Lambda writes
its log lines with that role too: a role that may not `logs:CreateLogStream`/`logs:PutLogEvents`
on its log group leaves no logs.
"""

from __future__ import annotations

import base64
import contextlib
import re
import threading
from typing import Any

from counterstack.local import moto_backends
from counterstack.local.awslambda import execution_environment, function_logs
from counterstack.local.awslambda.errors import error_answer
from counterstack.local.awslambda.runtime import (
    FunctionSpec,
    Invocation,
    LambdaRuntime,
    Throttled,
    UnsupportedRuntime,
)
from counterstack.local.cloudwatch import lambda_metrics
from counterstack.local.iam.policy_evaluation import allows
from counterstack.local.iam.role_sessions import role_credentials

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations/?$")
TAIL_BYTES = 4096
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
DEFAULT_RUNTIME = "python3.12"  # prepared in the background when the account starts


class LambdaService:
    """Invokes deployed functions: from boto3 (`handle_invoke`) and from the gateway (`invoke`)."""

    def __init__(self, runtime: LambdaRuntime) -> None:
        self.runtime = runtime
        runtime.credentials = _role_session
        # The runtime folder (boto3 from PyPI) takes seconds on first use: not on a request.
        threading.Thread(
            target=_prepare_runtime, name="counterstack-lambda-env", daemon=True
        ).start()

    def invoke(
        self, function: Any, payload: bytes, client_context: str | None = None
    ) -> Invocation:
        """Run a moto LambdaFunction on the runtime and write its logs to CloudWatch Logs."""
        spec = _function_spec(function)
        payload = payload or b"{}"  # an Invoke without a payload delivers an empty object
        reserved = moto_backends.reserved_concurrency_total(function.account_id, function.region)
        # Lambda's metrics (AWS/Lambda): Invocations, Errors, Duration, Throttles, concurrency.
        with lambda_metrics.measured(function) as done:
            invocation = self.runtime.invoke(
                spec, payload, reserved_total=reserved, client_context=client_context
            )
            done(invocation)
        group = spec.log_group_name
        stream_arn = (
            f"arn:aws:logs:{function.region}:{function.account_id}:log-group:{group}"
            f":log-stream:{invocation.log_stream}"
        )
        if spec.role_arn and not all(
            allows(spec.role_arn, action, stream_arn) for action in LOG_ACTIONS
        ):
            return invocation  # Lambda writes logs with the role: without the right, none
        function_logs.write(
            function.account_id,
            function.region,
            group,
            invocation.log_stream,
            invocation.log_lines,
        )
        return invocation

    def handle_invoke(
        self,
        function_name: str,
        qualifier: str | None,
        headers: dict[str, str],
        body: bytes,
        region: str,
        account_id: str,
    ) -> tuple[int, dict[str, str], bytes] | None:
        """(status, headers, body) of an Invoke call, or None to let moto answer (not found)."""
        try:
            function = moto_backends.lambda_function(function_name, qualifier, region, account_id)
        except moto_backends.NotDeployed:
            return None
        invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
        version = str(function.version)
        if invocation_type == "DryRun":
            return 204, {"x-amz-executed-version": version}, b""
        if invocation_type == "Event":
            threading.Thread(
                target=self._invoke_quietly, args=(function, body), daemon=True
            ).start()
            return 202, {"x-amz-executed-version": version}, b""
        try:
            invocation = self.invoke(function, body, _client_context(headers))
        except Throttled as error:
            return error_answer(
                429,
                "TooManyRequestsException",
                str(error),
                Reason=error.reason,
            )
        except UnsupportedRuntime as error:
            return error_answer(500, "ServiceException", str(error))
        answer = {
            "content-type": "application/json",
            "x-amz-executed-version": version,
            "x-amzn-requestid": invocation.request_id,
        }
        if invocation.error:
            answer["x-amz-function-error"] = invocation.error
        if headers.get("x-amz-log-type") == "Tail":
            tail = invocation.logs.encode()[-TAIL_BYTES:]
            answer["x-amz-log-result"] = base64.b64encode(tail).decode()
        return 200, answer, invocation.payload

    def _invoke_quietly(self, function: Any, body: bytes) -> None:
        with contextlib.suppress(Exception):  # an async invocation has nobody to report to
            self.invoke(function, body)


def _client_context(headers: dict[str, str]) -> str | None:
    """X-Amz-Client-Context is base64 JSON; the runtime gets the JSON itself."""
    encoded = headers.get("x-amz-client-context")
    if not encoded:
        return None
    with contextlib.suppress(ValueError):
        return base64.b64decode(encoded).decode()
    return None


def _role_session(spec: FunctionSpec) -> dict[str, str]:
    """The execution role's session for one execution environment (session = function name)."""
    return role_credentials(spec.role_arn, spec.function_name, spec.region)


def _function_spec(function: Any) -> FunctionSpec:
    """The execution environment a moto LambdaFunction defines, its execution role included."""
    version = str(function.version)
    logging = getattr(function, "logging_config", None) or {}  # local/patches/logging_config
    base_arn = function.function_arn.split(":function:")[0] + ":function:" + function.function_name
    return FunctionSpec(
        function_arn=base_arn,
        function_name=function.function_name,
        region=function.region,
        version=version,
        handler=function.handler or "",
        runtime=function.run_time or "",
        timeout=float(function.timeout or 3),
        memory_size=int(function.memory_size or 128),
        environment=tuple(sorted((function.environment_vars or {}).items())),
        code_sha256=function.code_sha_256,
        reserved_concurrency=(
            None if function.reserved_concurrency is None else int(function.reserved_concurrency)
        ),
        code=function.code_bytes,
        role_arn=function.role or "",
        log_format=logging.get("LogFormat") or "Text",
        application_log_level=logging.get("ApplicationLogLevel") or "",
        system_log_level=logging.get("SystemLogLevel") or "",
        log_group=logging.get("LogGroup") or "",
    )


def _prepare_runtime() -> None:
    with contextlib.suppress(Exception):  # the first invocation reports the failure
        execution_environment.runtime_dir(execution_environment.interpreter(DEFAULT_RUNTIME))
