"""`counterstack account`: run the offline AWS account in the foreground until Ctrl-C/SIGTERM."""

import argparse
import os
import signal
import threading
from typing import TYPE_CHECKING

from counterstack.commands import options
from counterstack.local.apigateway.urls import execute_api_url
from counterstack.local.awslambda.execution_environment import interpreter
from counterstack.local.client import DEFAULT_PORT
from counterstack.local.provider import provider_override
from counterstack.local.transport.wsgi import DEFAULT_REGION
from counterstack.preflight import warn_lambda_python

if TYPE_CHECKING:
    from counterstack.local.account import LocalAccount


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "account",
        help="run the offline AWS account (moto + Lambda runtime + execute-api) in the foreground",
    )
    parser.add_argument(
        "--port",
        type=options.port,
        default=DEFAULT_PORT,
        help=f"port to listen on (default: {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--region",
        type=options.region,
        default=DEFAULT_REGION,
        help=f"region of the hints and the default clients (default: {DEFAULT_REGION})",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print one line per request to stderr"
    )
    parser.add_argument(
        "--parent-pid",
        type=int,
        default=None,
        help="stop when this process ends (for harnesses that run the account as a child)",
    )
    parser.set_defaults(func=run)


def watch_parent(pid: int, stopped: threading.Event) -> None:
    """Set `stopped` once `pid` is gone, so a crashed harness never leaves an account behind."""
    while not stopped.wait(0.5):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            stopped.set()


def hints(account: "LocalAccount", region: str) -> str:
    """What a user needs to point SDKs, the CLI and Terraform at the account."""
    endpoint = account.endpoint
    return "\n".join(
        [
            f"local AWS account ready at {endpoint} (account id {account.account_id})",
            "",
            "SDKs and the AWS CLI:",
            f"  export AWS_ENDPOINT_URL={endpoint}",
            "  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test",
            f"  export AWS_DEFAULT_REGION={region}",
            "",
            "HTTP APIs (path-style, or Host: <api_id>.execute-api.localhost):",
            f"  {execute_api_url(endpoint, '<api_id>', '<stage>', '<path>')}",
            "",
            "Terraform (a *_override.tf next to the root's provider block):",
            provider_override(endpoint, region).rstrip(),
            "",
            "Ctrl-C stops the account; everything in it is forgotten.",
        ]
    )


def run(args: argparse.Namespace) -> int:
    warn_lambda_python(interpreter)  # before the account starts
    stopped = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    from counterstack.local.account import LocalAccount  # moto: loaded when an account starts

    account = LocalAccount(port=args.port, host=args.host, region=args.region, verbose=args.verbose)
    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid, stopped), daemon=True).start()
    try:
        account.start()
        print(hints(account, args.region), flush=True)
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        account.stop()
        signal.signal(signal.SIGTERM, previous)
    print("local account stopped", flush=True)
    return 0
