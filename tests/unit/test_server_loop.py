"""The account's serving loop waits for events while idle (`counterstack.local.transport.server`).

waitress reads its loop timeout with int(): a fractional value became 0 and the loop polled
without waiting, half a core per account for the whole test run.
"""

import socket
import time

import pytest
from waitress import wasyncore

from counterstack.local.transport.server import WsgiServer

pytestmark = pytest.mark.unit

IDLE_SECONDS = 1.5
# A waiting loop wakes about once per timeout (1 s); a spinning one thousands of times.
MAX_IDLE_WAKE_UPS = 10


def test_an_idle_server_waits_in_poll_instead_of_spinning(monkeypatch):
    calls = []
    poll2 = wasyncore.poll2

    def counting_poll2(timeout=0.0, map=None):
        calls.append(timeout)
        return poll2(timeout, map)

    monkeypatch.setattr(wasyncore, "poll2", counting_poll2)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    server = WsgiServer(lambda environ, start: [b""], sock, threads=1, name="idle-probe")
    server.start()
    try:
        time.sleep(IDLE_SECONDS)
    finally:
        server.stop()
    assert calls, "the serving loop never polled"
    assert min(calls) > 0, f"the loop polls with timeout {min(calls)}: a busy loop"
    assert len(calls) <= MAX_IDLE_WAKE_UPS, f"{len(calls)} wake-ups in {IDLE_SECONDS} s idle"
