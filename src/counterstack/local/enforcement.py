"""What the account refuses before moto serves a request: role-session IAM and Lambda quotas.

One hook for the dispatcher (`intercept`): a request signed by a function's role session is
checked against the role's policies (`iam_enforcement`); PutFunctionConcurrency is held to the
account quota's unreserved minimum and GetAccountSettings reports the quota (`concurrency`),
which moto does not model. `/_counterstack/lambda-concurrency` reads or sets the quota
(`{"ConcurrentExecutions": 10}` plays a new account) until the account is reset.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from counterstack.local import iam_enforcement
from counterstack.local.concurrency import ReservationRefused, validate_quota
from counterstack.local.wsgi import read_body, signing_region

QUOTA_PATH = "/_counterstack/lambda-concurrency"
CONCURRENCY_PATH = re.compile(r"^/2017-10-31/functions/(?P<function>[^/]+)/concurrency/?$")
ACCOUNT_SETTINGS_PATH = re.compile(r"^/2016-08-19/account-settings/?$")
# Lambda's documented defaults (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
TOTAL_CODE_SIZE = 80_530_636_800
CODE_SIZE_UNZIPPED = 262_144_000
CODE_SIZE_ZIPPED = 52_428_800

Answer = tuple[int, dict[str, str], bytes]


def intercept(account: Any, environ: dict[str, Any]) -> Answer | None:
    """An answer that replaces moto's for this request, or None to let moto serve it."""
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    limits = account.runtime.concurrency
    if path == QUOTA_PATH:
        return _quota_control(limits, method, read_body(environ))
    signed_by_session = "Credential=ASIA" in environ.get("HTTP_AUTHORIZATION", "")
    concurrency = CONCURRENCY_PATH.match(path) if method == "PUT" else None
    account_settings = ACCOUNT_SETTINGS_PATH.match(path)
    if not (signed_by_session or concurrency or account_settings):
        return None
    body = read_body(environ)
    if signed_by_session:
        denial = iam_enforcement.check(environ, body)
        if denial is not None:
            return denial
    region = signing_region(environ)
    if concurrency:
        return _put_function_concurrency(limits, unquote(concurrency["function"]), body, region)
    if account_settings and method == "GET":
        return _account_settings(limits, region)
    return None


def reserved_total(account_id: str, region: str, except_function: str | None = None) -> int:
    """Concurrency all functions of an account and region reserve (one function left out)."""
    backend = get_backend("lambda")[account_id][region]
    return sum(
        int(function.reserved_concurrency)
        for function in backend.list_functions()
        if function.reserved_concurrency is not None and function.function_name != except_function
    )


def _put_function_concurrency(
    limits: Any, function: str, body: bytes, region: str
) -> Answer | None:
    if function.startswith("arn:"):
        region, name = function.split(":")[3], function.split(":")[6]
    else:
        name = function
    try:
        requested = int(json.loads(body or b"{}")["ReservedConcurrentExecutions"])
        reserved_by_others = reserved_total(DEFAULT_ACCOUNT_ID, region, except_function=name)
        get_backend("lambda")[DEFAULT_ACCOUNT_ID][region].get_function(name)
    except Exception:  # malformed or unknown function: moto answers as Lambda does
        return None
    try:
        limits.check_reservation(requested, reserved_by_others)
    except ReservationRefused as error:
        return _lambda_error(400, "InvalidParameterValueException", str(error))
    return None


def _account_settings(limits: Any, region: str) -> Answer:
    """GetAccountSettings: the quota, what reservations leave, and the code in use."""
    functions = get_backend("lambda")[DEFAULT_ACCOUNT_ID][region].list_functions()
    reserved = reserved_total(DEFAULT_ACCOUNT_ID, region)
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


def _quota_control(limits: Any, method: str, body: bytes) -> Answer:
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


def _lambda_error(status: int, error_type: str, message: str) -> Answer:
    body = json.dumps({"Type": "User", "message": message}).encode()
    return status, {"content-type": "application/json", "x-amzn-errortype": error_type}, body
