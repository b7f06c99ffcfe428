"""The offline ephemeral AWS account (moto + Lambda runtime + execute-api gateway).

Public surface: `LocalAccount` (in this process), `RemoteAccount` (served by another process),
`provider_override`, `local_url`, `execute_api_url`.

Loaded on first use (PEP 562): the account imports moto (~0.8 s), and every command and test that
only needs a constant or a URL helper of this package would pay for it otherwise.
"""

import importlib
from typing import Any

_PUBLIC = {
    "DEFAULT_PORT": "counterstack.local.account",
    "LocalAccount": "counterstack.local.account",
    "RemoteAccount": "counterstack.local.client",
    "execute_api_url": "counterstack.local.apigateway.urls",
    "local_url": "counterstack.local.apigateway.urls",
    "provider_override": "counterstack.local.provider",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
