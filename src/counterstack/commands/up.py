"""`counterstack up`: deploy examples/complete, print the /visitors URL, serve until Ctrl-C.

It also serves the counter page (web/) from `http://localhost:<page-port>` and allows that
origin in the stack's CORS configuration, so a browser shows the counter as a site would.

On the local target the account (moto, Lambda runtime, gateway) runs in a child process that
disappears with this one; the stack is still destroyed and leak-checked on the way out, as a test
would, so `up` doubles as a demonstration of the harness. Its Terraform commands share one aws
provider process (as a test worker's do), stopped by pid on the way out.
"""

import argparse
import signal
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path

from counterstack.commands import options
from counterstack.credentials import DEFAULT_REGION
from counterstack.errors import CounterStackError
from counterstack.harness.provider_process import shared_provider
from counterstack.harness.stack import Stack, ephemeral_stack
from counterstack.harness.target import Target, aws_target, local_target
from counterstack.local.awslambda.execution_environment import interpreter
from counterstack.local.client import DEFAULT_PORT, HEALTH_PATH
from counterstack.page import PageServer
from counterstack.paths import EXAMPLE_COMPLETE
from counterstack.preflight import check_terraform, warn_lambda_python
from counterstack.seed import SEED_ORIGINS

DEFAULT_PAGE_PORT = 8080
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "up",
        help="deploy the stack, print the /visitors URL and serve until Ctrl-C, then destroy",
    )
    parser.add_argument(
        "--target",
        choices=("local", "aws"),
        default="local",
        help="local: offline account on this machine (default); aws: real account",
    )
    parser.add_argument(
        "--port",
        type=options.port,
        default=DEFAULT_PORT,
        help=f"local account port (default: {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--region",
        type=options.region,
        default=DEFAULT_REGION,
        help=f"AWS region (default: {DEFAULT_REGION})",
    )
    parser.add_argument(
        "--name-prefix",
        type=options.name_prefix,
        default="demo",
        help="prefix of every resource name (default: demo)",
    )
    parser.add_argument(
        "--origin",
        type=options.origin,
        action="append",
        dest="origins",
        help="an allowed CORS origin; repeat for more (default: the website's own, "
        f"{' and '.join(SEED_ORIGINS)})",
    )
    parser.add_argument(
        "--page-port",
        type=options.port,
        default=DEFAULT_PAGE_PORT,
        help=f"serve the counter page on http://localhost:PORT and allow that origin "
        f"(default: {DEFAULT_PAGE_PORT}; 0 picks a free one)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    def say(message: str) -> None:
        print(f"==> {message}", flush=True)

    if args.target == "local" and args.page_port and args.page_port == args.port:
        raise CounterStackError(
            f"--page-port and --port are both {args.port}: give the page another port"
        )
    check_terraform()  # before anything starts: one line that says what to install
    if args.target == "local":
        warn_lambda_python(interpreter)
    with ExitStack() as resources:
        page = resources.enter_context(PageServer(args.page_port))
        say(f"serving the counter page (web/) at {page.url()}")
        origins = allowed_origins(args.origins or list(SEED_ORIGINS), page.origin)
        if args.target == "local":
            say(f"starting the local account on 127.0.0.1:{args.port}")
            target = resources.enter_context(local_target(port=args.port, region=args.region))
            say(f"local account ready at {target.endpoint}")
        else:
            say(f"checking AWS credentials ({args.region})")
            target = aws_target(args.region)
        workdir = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix="cs-up-")))
        # Entered before the stack, so it is stopped only after the stack's destroy.
        provider = resources.enter_context(
            shared_provider(target.name, workdir / "logs", target.terraform_env())
        )
        say(f"building the Lambda zip and a working copy of examples/complete in {workdir}")
        stack = resources.enter_context(
            ephemeral_stack(
                EXAMPLE_COMPLETE,
                target=target,
                workdir=workdir,
                prefix=args.name_prefix,
                progress=say,
                provider=provider,
                cors_allow_origins=origins,
            )
        )
        if provider is not None and provider.pid is not None:
            say(f"aws provider shared by every terraform command: pid {provider.pid}")
        url = stack.url()
        print(f"\nGET /visitors: {url}\n  curl -s {url}", flush=True)
        print(f"Counter page:  {page.url(url)}", flush=True)
        print("\n".join(alarm_lines(stack, target)) + "\n", flush=True)
        say("serving; press Ctrl-C to destroy the stack and stop")
        wait_for_interrupt()
        say("stopping")
    say("stack destroyed, no resources left")
    return 0


def alarm_lines(stack: Stack, target: Target) -> list[str]:
    """Where the stack's alarms would go, and how to watch one flip by hand."""
    topic_arn = stack.output("alarm_topic_arn")
    names = sorted(stack.output("alarm_names").values())
    subscriptions = target.client("sns").list_subscriptions_by_topic(TopicArn=topic_arn)
    endpoints = [f"{s['Protocol']}:{s['Endpoint']}" for s in subscriptions.get("Subscriptions", [])]
    lines = [
        f"Alarms:        {len(names)} notify {topic_arn} on ALARM and OK",
        f"  alarms:      {', '.join(names)}",
        f"  subscribers: {', '.join(endpoints) or 'none yet'}",
        f"  subscribe:   aws sns subscribe --topic-arn {topic_arn} --protocol email "
        "--notification-endpoint you@example.com",
    ]
    if target.endpoint is not None:
        lines.append(f'  states:      curl -s {target.endpoint}{HEALTH_PATH}  ("alarms")')
    return lines


def allowed_origins(origins: list[str], page_origin: str) -> list[str]:
    """The requested origins plus the page's, once each (the module rejects duplicates)."""
    return list(dict.fromkeys([*origins, page_origin]))


def wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM (both end in the same clean teardown).

    SIGINT gets its own handler rather than relying on KeyboardInterrupt: a process started as
    a background job inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
    """
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:  # arrived before the handler was in place
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
