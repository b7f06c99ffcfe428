"""`counterstack` command line: one subcommand module per verb, errors as one line."""

import argparse
import sys

from counterstack.commands import (
    account,
    adopt,
    build,
    drift,
    promote,
    sweep,
    terraform_config,
    up,
)
from counterstack.errors import CounterStackError

COMMANDS = (build, up, sweep, account, terraform_config, drift, adopt, promote)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="counterstack",
        description="Build, deploy and test the visitor-counter stack.",
    )
    subparsers = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except CounterStackError as error:
        print(f"counterstack {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"counterstack {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
