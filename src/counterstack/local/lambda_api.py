"""`lambda:Invoke` served by the local runtime instead of moto's Docker-based one.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: `RequestResponse` answers 200 with
the function's payload (and `X-Amz-Function-Error: Unhandled` plus
`{errorMessage, errorType, stackTrace}` when it failed), `Event` answers 202 and runs in the
background, `DryRun` answers 204. `LogType: Tail` adds the last 4 KB of the log, base64-encoded,
in `X-Amz-Log-Result`. Lookup errors (unknown function, bad qualifier) are left to moto, which
already answers them as Lambda does.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from typing import Any

from counterstack.local import deployed, logs
from counterstack.local.runtime import Invocation, LambdaRuntime, Throttled, UnsupportedRuntime

TAIL_BYTES = 4096


class LambdaService:
    """Invokes deployed functions: from boto3 (`handle_invoke`) and from the gateway (`invoke`)."""

    def __init__(self, runtime: LambdaRuntime) -> None:
        self.runtime = runtime

    def invoke(self, function: Any, payload: bytes) -> Invocation:
        """Run a moto LambdaFunction on the runtime and write its logs to CloudWatch Logs."""
        spec = deployed.function_spec(function)
        invocation = self.runtime.invoke(spec, payload)
        logs.write_invocation(
            function.account_id,
            function.region,
            f"/aws/lambda/{spec.function_name}",
            invocation.log_stream,
            invocation.request_id,
            spec.version,
            invocation.logs,
            invocation.duration_ms,
            spec.memory_size,
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
            function = deployed.lambda_function(function_name, qualifier, region, account_id)
        except deployed.NotDeployed:
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
            invocation = self.invoke(function, body)
        except Throttled as error:
            return _error(
                429,
                "TooManyRequestsException",
                str(error),
                Reason="ReservedFunctionConcurrentInvocationLimitExceeded",
            )
        except UnsupportedRuntime as error:
            return _error(500, "ServiceException", str(error))
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


def _error(status: int, error_type: str, message: str, **extra: str) -> tuple[int, dict, bytes]:
    body = json.dumps({"Type": "User" if status < 500 else "Service", "message": message, **extra})
    return (
        status,
        {"content-type": "application/json", "x-amzn-errortype": error_type},
        body.encode(),
    )
