"""The account sends each answer whole, in one send (`local/transport/server.py`, SEND_BYTES).

With waitress's default the headers left in one send and the body in the next. Go's net/http
sometimes closes a connection right after an answer's headers arrive (aws-sdk-go-v2 #2737); the
body then meets a closed socket, the client resets the connection and the provider's SDK
retries an operation the account had served: the lost answers of full test runs.
"""

import socket

import pytest
from waitress.channel import HTTPChannel

from counterstack.local.transport.server import SEND_BYTES, WsgiServer

pytestmark = pytest.mark.unit

ANSWER = b'{"count": 41}'
REQUESTS = 50


def _app(environ, start_response):
    """Answers in two chunks, as WSGI apps may: the server must still send them together."""
    size = int(environ["PATH_INFO"].strip("/") or len(ANSWER))
    body = (ANSWER * (size // len(ANSWER) + 1))[:size]
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(size))])
    return [body[: size // 2], body[size // 2 :]]


@pytest.fixture
def server_address():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    server = WsgiServer(_app, sock, threads=2, name="whole-answers")
    server.start()
    try:
        yield sock.getsockname()
    finally:
        server.stop()


def _request(path: str = "/") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: account\r\n\r\n".encode()


def _read_answer(client: socket.socket, size: int) -> bytes:
    """Reads until the headers and `size` body bytes are in."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < size:
        chunk = client.recv(1 << 20)
        assert chunk, f"the server closed the connection after {len(data)} bytes"
        data += chunk
    return data


def test_each_answer_leaves_in_one_send(server_address, monkeypatch):
    sends: list[bytes] = []
    send = HTTPChannel.send

    def recording_send(channel, data, *args, **kwargs):
        sends.append(bytes(data))  # before sending: the client cannot read it earlier
        return send(channel, data, *args, **kwargs)

    monkeypatch.setattr(HTTPChannel, "send", recording_send)
    with socket.create_connection(server_address, timeout=10) as client:
        for _ in range(3):  # keep-alive: every answer on the connection, not just the first
            sends.clear()
            client.sendall(_request())
            _read_answer(client, len(ANSWER))
            assert len(sends) == 1, f"the answer left in {len(sends)} sends: {sends}"
            assert sends[0].startswith(b"HTTP/1.1 200 OK") and sends[0].endswith(ANSWER)


def test_a_client_that_reads_once_has_the_whole_answer(server_address):
    """Go's pattern when its connection fails after the headers: one read, then close."""
    for attempt in range(REQUESTS):
        with socket.create_connection(server_address, timeout=10) as client:
            client.sendall(_request())
            first_read = client.recv(1 << 20)
        head, _, body = first_read.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK"), first_read
        assert body == ANSWER, f"request {attempt + 1}: the first read held {first_read!r}"


def test_answers_larger_than_the_buffer_still_stream_whole(server_address):
    size = 3 * SEND_BYTES + 7
    with socket.create_connection(server_address, timeout=10) as client:
        client.sendall(_request(f"/{size}"))
        answer = _read_answer(client, size)
    assert len(answer.split(b"\r\n\r\n", 1)[1]) == size
