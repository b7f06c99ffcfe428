"""The offline ephemeral AWS account (moto + Lambda runtime + execute-api gateway).

Public surface: `LocalAccount` (in this process), `RemoteAccount` (served by another process),
`provider_override`, `local_url`, `execute_api_url`.
"""

from counterstack.local.account import DEFAULT_PORT, LocalAccount
from counterstack.local.apigateway.urls import execute_api_url, local_url
from counterstack.local.client import RemoteAccount
from counterstack.local.provider import provider_override

__all__ = [
    "DEFAULT_PORT",
    "LocalAccount",
    "RemoteAccount",
    "execute_api_url",
    "local_url",
    "provider_override",
]
