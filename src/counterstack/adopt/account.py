"""The account `counterstack adopt` looks in, as boto3 clients, without the test harness.

`--endpoint URL` is a local account (`counterstack account`): clients for that URL with its fake
keys. Otherwise the default credential chain, checked before the first lookup.
"""

from __future__ import annotations

import boto3

from counterstack.adopt.discover import ClientFactory
from counterstack.credentials import checked_region
from counterstack.local import RemoteAccount


def account_clients(region: str, endpoint: str | None = None) -> ClientFactory:
    """A boto3 client factory for the local account at `endpoint`, else for the default chain."""
    if endpoint:
        return RemoteAccount(endpoint, region).client
    region = checked_region(region)
    return lambda service: boto3.client(service, region_name=region)
