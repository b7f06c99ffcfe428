"""The counter page (web/) served from loopback, so a browser can call the API cross-origin.

A browser enforces CORS from the page's origin, so the page is served from its own origin
(`http://localhost:<port>` by default), which the stack then allows. The server binds 127.0.0.1
only: the page is for this machine's browser, never the network.
"""

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from counterstack.errors import CounterStackError
from counterstack.paths import WEB_DIR

BIND_ADDRESS = "127.0.0.1"
ORIGIN_HOSTS = ("localhost", "127.0.0.1")  # both resolve to the bound loopback address


class _Handler(SimpleHTTPRequestHandler):
    """Static files, never cached (a reload fetches the page and so counts a visit again)."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: `up` and the tests print what matters


class PageServer:
    """`with PageServer(port) as page:` serves `directory` on 127.0.0.1 in a background thread."""

    def __init__(
        self, port: int = 0, *, directory: Path = WEB_DIR, host: str = "localhost"
    ) -> None:
        if host not in ORIGIN_HOSTS:
            raise ValueError(f"page host must be one of {', '.join(ORIGIN_HOSTS)}, not {host!r}")
        if not (Path(directory) / "index.html").is_file():
            raise CounterStackError(f"no index.html in {directory}: is this a full checkout?")
        self.host = host
        self._requested_port = port
        self._directory = str(directory)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the page server is not running")
        return self._server.server_address[1]

    @property
    def bound_address(self) -> str:
        if self._server is None:
            raise RuntimeError("the page server is not running")
        return self._server.server_address[0]

    @property
    def origin(self) -> str:
        """The origin a browser sends from this page: what the API must allow."""
        return f"http://{self.host}:{self.port}"

    def url(self, api_url: str | None = None) -> str:
        """The page's URL, with the /visitors URL it should call as `?api=`."""
        if api_url is None:
            return f"{self.origin}/"
        return f"{self.origin}/?api={quote(api_url, safe=':/')}"

    def start(self) -> "PageServer":
        handler = functools.partial(_Handler, directory=self._directory)
        try:
            self._server = ThreadingHTTPServer((BIND_ADDRESS, self._requested_port), handler)
        except OSError as error:
            raise CounterStackError(
                f"cannot serve the page on {BIND_ADDRESS}:{self._requested_port} ({error}); "
                "choose another --page-port (0 picks a free one)"
            ) from error
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"page-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "PageServer":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
