"""Lambda's error answers as its REST-JSON API sends them: the type in a header, the text in JSON.

`x-amzn-errortype` names the error SDKs dispatch on; the body carries `Type` (`User` for a 4xx,
`Service` for a 5xx), `message`, and any extra fields the error has (e.g. a throttle's `Reason`).
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors
"""

from __future__ import annotations

import json

Answer = tuple[int, dict[str, str], bytes]


def error_answer(status: int, error_type: str, message: str, **extra: str) -> Answer:
    """(status, headers, body) of a Lambda API error."""
    body = json.dumps({"Type": "User" if status < 500 else "Service", "message": message, **extra})
    headers = {"content-type": "application/json", "x-amzn-errortype": error_type}
    return status, headers, body.encode()
