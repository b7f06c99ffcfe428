"""Reproducer: a request whose last bytes arrive after the answer draws a TCP reset on werkzeug.

A client sends a request's headers, then its body a little later (as a loaded client or a
loaded machine does); the account answers a request that does not need the body at once. The
old transport (werkzeug's threaded server) then closes the connection after a 10 ms drain; the
late body reaches a closed socket and the kernel answers with a TCP RST. A reset discards what
of the answer had not been delivered yet (on loopback a small answer is usually delivered
first, so the client may still read it: the script prints both). waitress reads the whole
request before it dispatches and keeps the connection, so no reset is sent.

Prints, per transport, how many of N such requests got their answer and how many were reset,
and the kernel's TcpExtTCPAbortOnData delta (resets sent for unread data; machine-wide, so
other traffic on a shared machine can add to it). Run `tcpdump -ni lo 'tcp[tcpflags] &
tcp-rst != 0'` beside it to see the resets. `python benchmarks/transport_reset.py [-n 50]`.
"""

import argparse
import shutil
import socket
import subprocess
import time

from gateway import werkzeug_port

from counterstack.local import LocalAccount
from counterstack.local.client import HEALTH_PATH

BODY = b"x" * 64


def abort_on_data() -> int | None:
    """The kernel's count of connections closed with unread data (nstat), if nstat exists."""
    if shutil.which("nstat") is None:
        return None
    out = subprocess.run(
        ["nstat", "-az", "TcpExtTCPAbortOnData"], capture_output=True, text=True
    ).stdout
    fields = [line.split() for line in out.splitlines() if "TcpExtTCPAbortOnData" in line]
    return int(fields[0][1]) if fields else None


def late_body_request(port: int, delay: float) -> str:
    """Headers now, body after `delay`, read the answer after another `delay`: the outcome."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            f"POST {HEALTH_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n".encode()
        )
        time.sleep(delay)
        try:
            sock.sendall(BODY)
            time.sleep(delay)  # the answer (and, on werkzeug, the RST) arrive meanwhile
            answer = sock.recv(65536)
        except ConnectionResetError:
            return "reset"
        return "answered" if answer.startswith(b"HTTP/1.1 200") else f"other: {answer[:40]!r}"


def run(label: str, port: int, count: int, delay: float) -> None:
    before = abort_on_data()
    outcomes: dict[str, int] = {}
    for _ in range(count):
        outcome = late_body_request(port, delay)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    after = abort_on_data()
    aborts = "n/a (no nstat)" if before is None or after is None else after - before
    print(f"[{label}] port {port}: {outcomes}; TcpExtTCPAbortOnData +{aborts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds before the body")
    args = parser.parse_args()
    with LocalAccount(port=0) as account:
        run("waitress", account.port, args.requests, args.delay)
        with werkzeug_port(account) as port:
            run("werkzeug (old transport)", port, args.requests, args.delay)


if __name__ == "__main__":
    main()
