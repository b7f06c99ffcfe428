"""`counterstack build`: the deterministic Lambda zip."""

import argparse
from pathlib import Path

from counterstack.build import build_package
from counterstack.paths import DEFAULT_PACKAGE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build", help="build the Lambda zip deterministically and print its path and sha256"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_PACKAGE,
        help=f"where to write the zip (default: {DEFAULT_PACKAGE})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    package = build_package(args.output)
    print(f"{package.path}  sha256:{package.sha256}")
    return 0
