"""moto alone on a loopback port, behind the account's transport: what offline plans need.

A plan only reads (STS for `aws_caller_identity`, IAM and other data sources), so it needs no Lambda
runtime or gateway. It used to get moto's ThreadedMotoServer, whose werkzeug transport sends an
answer's headers and body apart and keeps no count of lost answers: the very race
`local/transport/server.py` closes showed up there too (a provider's `GetUser` retried after its
client closed between headers and body). This serves the same moto app through `WsgiServer`, with
the lost-answer count on `/_counterstack/health` as the account has it.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from counterstack.local.client import HEALTH_PATH
from counterstack.local.transport.retried_attempts import RetriedAttempts
from counterstack.local.transport.server import WsgiServer

THREADS = 8  # plans of one xdist worker, one at a time, each a few parallel provider calls


class MotoServer:
    """moto's services at `url` until `stop()`; started by `start()`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.retries = RetriedAttempts()
        self._moto = DomainDispatcherApplication(create_backend_app)
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.bind((host, 0))
        sock.listen(1024)
        port = sock.getsockname()[1]
        self.url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        self._server = WsgiServer(self._app, sock, THREADS, f"counterstack-moto-{port}")

    def start(self) -> MotoServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        start_response = self.retries.track(environ, start_response)
        if environ.get("PATH_INFO") == HEALTH_PATH:
            body = json.dumps({"status": "running", **self.retries.summary()}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        return self._moto(environ, start_response)
