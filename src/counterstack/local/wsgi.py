"""What the account's request handlers read off a WSGI request: its body and its signing region."""

from __future__ import annotations

import io
import re
from typing import Any

DEFAULT_REGION = "us-east-1"
CREDENTIAL_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/")


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back as a fresh stream so the next reader (moto) gets it too."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        return b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def signing_region(environ: dict[str, Any]) -> str:
    """The region in the request's SigV4 credential scope (unsigned: us-east-1, as moto assumes)."""
    match = CREDENTIAL_REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match["region"] if match else DEFAULT_REGION
