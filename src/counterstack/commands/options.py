"""argparse types that reject bad flag values early, with a message naming what is allowed."""

import argparse
import re
from datetime import timedelta

from counterstack.harness.naming import validate_prefix

REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
ORIGIN = re.compile(
    r"^(https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?"
    r"|http://(localhost|127\.0\.0\.1)(:\d{1,5})?)$"
)
DURATION = re.compile(r"^(\d+)([smhd])$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
SWEEP_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,}$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (0-65535; 0 picks a free one)")
    return int(value)


def region(value: str) -> str:
    if not REGION.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an AWS region name like eu-west-1")
    return value


def origin(value: str) -> str:
    if not ORIGIN.match(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an origin: use https://host[:port] (no path, no trailing slash) "
            "or http://localhost[:port]"
        )
    return value


def name_prefix(value: str) -> str:
    try:
        return validate_prefix(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def sweep_prefix(value: str) -> str:
    if not SWEEP_PREFIX.match(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is too broad or malformed: give at least 3 characters of letters, "
            "digits, '-' or '_' (e.g. ct-)"
        )
    return value


def account_id(value: str) -> str:
    if not ACCOUNT_ID.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an AWS account id (12 digits)")
    return value


def duration(value: str) -> timedelta:
    match = DURATION.match(value)
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration like 30m, 2h or 1d")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
