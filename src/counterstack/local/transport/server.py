"""The account's HTTP transport: a WSGI app served by waitress from a background thread.

Why waitress and not werkzeug's threaded development server: werkzeug answers before it has
read a whole request, closes every connection after its answer and drains unread request bytes
for only 10 ms; bytes arriving later hit a closed socket and draw a TCP RST, and a reset
connection discards whatever of the answer was not yet delivered — the SDK then sees a reset
and retries an operation the account did serve. `benchmarks/transport_reset.py` shows the
resets (on loopback, small answers usually arrive before them). waitress dispatches only a
whole request, keeps HTTP/1.1 connections alive (no connect per call) and serves from a fixed
thread pool, so a busy account queues requests instead of spawning a thread each.

Each answer leaves in one send (one segment on loopback): see SEND_BYTES.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from waitress.server import create_server

# Past this many open connections waitress stops accepting (new clients hang until one closes).
CONNECTION_LIMIT = 1000
# A server closing an idle keep-alive connection races a client sending on it (the request is
# lost, the SDK retries), so idle connections stay open — for an hour, longer than any test run,
# instead of waitress's 2 minutes — unless they pile up: a client that keeps its responses (and
# so its sockets) alive opens a connection per request. Past EVICT_IDLE_AT open connections, the
# ones idle longest (at least EVICT_IDLE_AFTER_SECONDS) are closed, down to half that number.
IDLE_CONNECTION_SECONDS = 3600
EVICT_IDLE_AT = 500
EVICT_IDLE_AFTER_SECONDS = 1.0
# The poll timeout of the serving loop: only idle wake-ups, stop() wakes it at once. A whole
# number: waitress reads it with int(), and 0 makes the loop poll without waiting (a busy loop
# that kept half a core per account).
LOOP_TIMEOUT_SECONDS = 1
# waitress's default (send_bytes=1) sends the status line and headers the moment they are written,
# and the body in a second send. A client that closes its connection between the two loses the body,
# and Go's net/http can: its write side closes the connection after the headers have arrived
# (aws-sdk-go-v2 #1825 and #2737, "use of closed network connection"; the SDK retries). A capture of
# a full test run showed exactly that for each lost answer: headers, the client's FIN, the body, the
# client's RST, then attempt 2 (docs/local-account.md, "Lost answers"). Output is buffered up to
# this many bytes, so an answer is sent whole when its request ends; the larger ones still stream.
# (`send_bytes` is deprecated in waitress 3, which is pinned < 4.)
SEND_BYTES = 256 * 1024
STOP_TIMEOUT_SECONDS = 5.0

# "Task queue depth is N" is a warning waitress logs whenever requests wait for a thread; the
# account queues on purpose under load, so only errors reach stderr.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class WsgiServer:
    """`app` on an already listening socket, `threads` requests at a time, until `stop()`."""

    def __init__(self, app: Callable, sock: socket.socket, threads: int, name: str) -> None:
        self.name = name
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "send_bytes", DeprecationWarning)
            self._server: Any = create_server(
                app,
                sockets=[sock],
                threads=threads,
                connection_limit=CONNECTION_LIMIT,
                channel_timeout=IDLE_CONNECTION_SECONDS,
                asyncore_use_poll=True,  # select() fails once a descriptor passes 1024
                asyncore_loop_timeout=LOOP_TIMEOUT_SECONDS,
                send_bytes=SEND_BYTES,
                clear_untrusted_proxy_headers=False,  # the gateway sees X-Forwarded-* as sent
                ident="counterstack",
            )
        readable = self._server.readable

        def evicting_readable() -> bool:  # runs on the serving loop's thread, every iteration
            if len(self._server.active_channels) >= EVICT_IDLE_AT:
                _evict_idle(self._server.active_channels)
            return readable()

        self._server.readable = evicting_readable
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Serve from a daemon thread."""
        self._thread = threading.Thread(target=self._server.run, name=self.name, daemon=True)
        self._thread.start()

    def stop_accepting(self) -> None:
        """Close the listening socket and every connection; the serving loop then ends.

        The closing runs on the loop's own thread (waitress's trigger), so no socket is closed
        under a poll that is watching it.
        """
        server = self._server
        if self._thread is None or not self._thread.is_alive():
            server.close()
            return
        server.trigger.pull_trigger(lambda: _close_all(server._map))
        self._thread.join(timeout=STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """Stop accepting, then wait for the requests in progress (up to a few seconds)."""
        self.stop_accepting()
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=STOP_TIMEOUT_SECONDS)
        self._thread = None


def _evict_idle(channels: dict) -> None:
    """Close the connections idle longest (no request in progress, nothing left to send)."""
    cutoff = time.time() - EVICT_IDLE_AFTER_SECONDS
    idle = sorted(
        (
            channel
            for channel in list(channels.values())
            if not channel.requests
            and not channel.total_outbufs_len
            and channel.last_activity < cutoff
        ),
        key=lambda channel: channel.last_activity,
    )
    for channel in idle[: len(channels) - EVICT_IDLE_AT // 2]:
        channel.will_close = True  # the loop closes it on its next pass


def _close_all(socket_map: dict) -> None:
    for dispatcher in list(socket_map.values()):
        dispatcher.close()
