"""Lambda's account-level concurrency, which moto does not model: the quota and reservations.

PutFunctionConcurrency is held to the account quota's unreserved minimum and GetAccountSettings
reports the quota and what reservations leave (`concurrency` holds the rules).
`/_counterstack/lambda-concurrency` reads or sets the quota (`{"ConcurrentExecutions": 10}` plays
a new account) until the account is reset.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from moto.backends import get_backend

from counterstack.local.awslambda.concurrency import ReservationRefused, validate_quota
from counterstack.local.awslambda.errors import Answer, error_answer
from counterstack.local.client import ACCOUNT_ID
from counterstack.local.moto_backends import reserved_concurrency_total
from counterstack.local.transport.wsgi import read_body, signing_region

QUOTA_PATH = "/_counterstack/lambda-concurrency"
CONCURRENCY_PATH = re.compile(r"^/2017-10-31/functions/(?P<function>[^/]+)/concurrency/?$")
ACCOUNT_SETTINGS_PATH = re.compile(r"^/2016-08-19/account-settings/?$")
# Lambda's documented defaults (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
TOTAL_CODE_SIZE = 80_530_636_800
CODE_SIZE_UNZIPPED = 262_144_000
CODE_SIZE_ZIPPED = 52_428_800


def intercept(limits: Any, environ: dict[str, Any]) -> Answer | None:
    """Lambda's answer to PutFunctionConcurrency or GetAccountSettings; None to let moto serve."""
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "PUT" and (concurrency := CONCURRENCY_PATH.match(path)):
        function = unquote(concurrency["function"])
        return _put_function_concurrency(
            limits, function, read_body(environ), signing_region(environ)
        )
    if method == "GET" and ACCOUNT_SETTINGS_PATH.match(path):
        return _account_settings(limits, signing_region(environ))
    return None


def _put_function_concurrency(
    limits: Any, function: str, body: bytes, region: str
) -> Answer | None:
    if function.startswith("arn:"):
        region, name = function.split(":")[3], function.split(":")[6]
    else:
        name = function
    try:
        requested = int(json.loads(body or b"{}")["ReservedConcurrentExecutions"])
        reserved_by_others = reserved_concurrency_total(ACCOUNT_ID, region, except_function=name)
        get_backend("lambda")[ACCOUNT_ID][region].get_function(name)
    except Exception:  # malformed or unknown function: moto answers as Lambda does
        return None
    try:
        limits.check_reservation(requested, reserved_by_others)
    except ReservationRefused as error:
        return error_answer(400, "InvalidParameterValueException", str(error))
    return None


def _account_settings(limits: Any, region: str) -> Answer:
    """GetAccountSettings: the quota, what reservations leave, and the code in use."""
    functions = get_backend("lambda")[ACCOUNT_ID][region].list_functions()
    reserved = reserved_concurrency_total(ACCOUNT_ID, region)
    body = {
        "AccountLimit": {
            "TotalCodeSize": TOTAL_CODE_SIZE,
            "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
            "CodeSizeZipped": CODE_SIZE_ZIPPED,
            "ConcurrentExecutions": limits.quota,
            "UnreservedConcurrentExecutions": max(0, limits.quota - reserved),
        },
        "AccountUsage": {
            "TotalCodeSize": sum(int(f.code_size or 0) for f in functions),
            "FunctionCount": len(functions),
        },
    }
    return 200, {"content-type": "application/json"}, json.dumps(body).encode()


def quota_control(limits: Any, method: str, body: bytes) -> Answer:
    if method == "PUT":
        try:
            limits.quota = validate_quota(int(json.loads(body)["ConcurrentExecutions"]))
        except (ValueError, KeyError, TypeError):
            message = 'send {"ConcurrentExecutions": N} with a whole number N >= 1, e.g. 10'
            return (
                400,
                {"content-type": "application/json"},
                json.dumps({"message": message}).encode(),
            )
    elif method != "GET":
        return 405, {"content-type": "application/json"}, b'{"message": "use GET or PUT"}'
    answer = json.dumps({"ConcurrentExecutions": limits.quota}).encode()
    return 200, {"content-type": "application/json"}, answer
