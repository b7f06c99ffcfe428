"""`counterstack up`: deploy examples/complete, print the /visitors URL, serve until Ctrl-C.

It also serves the counter page (web/) from `http://localhost:<page-port>` and allows that
origin in the stack's CORS configuration, so a browser shows the counter as a site would.

On the local target the account (moto, Lambda runtime, gateway) runs in a child process that
disappears with this one; the stack is still destroyed and leak-checked on the way out, as a test
would, so `up` doubles as a demonstration of the harness. Its Terraform commands share one aws
provider process (as a test worker's do), stopped by pid on the way out. The alarms' topic uses
the account's shared key (`harness/shared_key.py`, made once, kept), as the tests' stacks do.

One SIGINT or SIGTERM, to `up` or to its process group, at any moment, ends it the same way
(see `harness.interrupts`): a running `terraform init` or `apply` stops as Terraform stops, the
stack is destroyed and leak-checked, and the last line says what was torn down; exit 130 (143).
"""

import argparse
import tempfile
from contextlib import ExitStack
from pathlib import Path

import tftest

from counterstack.commands import options
from counterstack.credentials import DEFAULT_REGION
from counterstack.errors import CounterStackError
from counterstack.harness import interrupts, shared_key
from counterstack.harness.provider_process import shared_provider
from counterstack.harness.stack import LeakError, Stack, diagnostics, ephemeral_stack
from counterstack.harness.target import Target, aws_target, local_target
from counterstack.local.awslambda.execution_environment import interpreter
from counterstack.local.client import DEFAULT_PORT, HEALTH_PATH
from counterstack.page import PageServer
from counterstack.paths import EXAMPLE_COMPLETE
from counterstack.preflight import check_terraform, warn_lambda_python
from counterstack.seed import SEED_ORIGINS

DEFAULT_PAGE_PORT = 8080


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
    say = Progress()
    if args.target == "local" and args.page_port and args.page_port == args.port:
        raise CounterStackError(
            f"--page-port and --port are both {args.port}: give the page another port"
        )
    check_terraform()  # before anything starts: one line that says what to install
    if args.target == "local":
        warn_lambda_python(interpreter)
    # Installed first: a signal from here on is handled (never lost, nor ignored because `up`
    # started as a background job with SIGINT ignored), and ends in the one line below.
    with interrupts.handled() as signals:
        try:
            deploy_and_serve(args, say, signals)
        except interrupts.Interrupted as interrupted:
            say(f"interrupted by {interrupted.signal_name}: {say.torn_down(args.name_prefix)}")
            return interrupted.exit_code
        except LeakError as error:
            raise CounterStackError(str(error)) from error
        except tftest.TerraformTestError as error:
            raise CounterStackError(f"terraform failed: {first_error(error)}") from error
    raise AssertionError("unreachable: serving ends only with a stop signal")


class Progress:
    """`up`'s progress lines; it remembers what the stack's teardown did, for the last one."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def __call__(self, message: str) -> None:
        self.said.append(message)
        print(f"==> {message}", flush=True)

    def torn_down(self, prefix: str) -> str:
        """What was torn down, once the leak check passed (else LeakError was raised instead)."""
        if "terraform destroy" in self.said:
            return f"stack {prefix} destroyed, no resources left"
        if "leak check" in self.said:
            return f"stack {prefix} stopped before its apply, no resources left"
        return "stopped before the stack was deployed"


def deploy_and_serve(
    args: argparse.Namespace, say: Progress, signals: interrupts.StopSignals
) -> None:
    """Deploy, print the URL and serve until a stop signal, which arrives as Interrupted."""
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
        # Deferred: a signal while the stack is entered or its URL prints waits for the block's
        # end, so the stack is always in `resources` (destroyed on the way out) and none is lost.
        with signals.deferred():
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
        signals.wait()


def first_error(error: tftest.TerraformTestError) -> str:
    """Terraform's first `Error:` line (its diagnostics run over many lines)."""
    lines = [line.strip() for line in diagnostics(error).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    return (errors or lines or ["no output"])[0]


def alarm_lines(stack: Stack, target: Target) -> list[str]:
    """Where the stack's alarms would go, and how to watch one flip by hand."""
    topic_arn = stack.output("alarm_topic_arn")
    names = sorted(stack.output("alarm_names").values())
    subscriptions = target.client("sns").list_subscriptions_by_topic(TopicArn=topic_arn)
    endpoints = [f"{s['Protocol']}:{s['Endpoint']}" for s in subscriptions.get("Subscriptions", [])]
    key_arn = stack.output("alarm_kms_key_arn")
    aliases = target.client("kms").list_aliases(KeyId=key_arn.rsplit("/", 1)[-1])["Aliases"]
    key_names = [alias["AliasName"] for alias in aliases] or ["no alias"]
    kind = "the account's shared key, kept" if shared_key.ALIAS in key_names else "its own key"
    lines = [
        f"Alarms:        {len(names)} notify {topic_arn} on ALARM and OK",
        f"  alarms:      {', '.join(names)}",
        f"  subscribers: {', '.join(endpoints) or 'none yet'}",
        f"  encrypted:   {key_arn} ({', '.join(key_names)}; {kind})",
        f"  subscribe:   aws sns subscribe --topic-arn {topic_arn} --protocol email "
        "--notification-endpoint you@example.com",
    ]
    if target.endpoint is not None:
        lines.append(f'  states:      curl -s {target.endpoint}{HEALTH_PATH}  ("alarms")')
    return lines


def allowed_origins(origins: list[str], page_origin: str) -> list[str]:
    """The requested origins plus the page's, once each (the module rejects duplicates)."""
    return list(dict.fromkeys([*origins, page_origin]))
