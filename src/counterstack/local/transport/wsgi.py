"""What the account's request handlers read off a WSGI request: its body and its SigV4 scope."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

DEFAULT_REGION = "us-east-1"
# Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...
CREDENTIAL_SCOPE = re.compile(
    r"Credential=(?P<key>[^/]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request"
)


@dataclass(frozen=True)
class CredentialScope:
    """Who signed a request and for what: access key, region and signing service."""

    key: str
    region: str
    service: str


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


def credential_scope(environ: dict[str, Any]) -> CredentialScope | None:
    """The SigV4 credential scope of a signed request; None when it is unsigned."""
    match = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return CredentialScope(match["key"], match["region"], match["service"]) if match else None


def signing_region(environ: dict[str, Any]) -> str:
    """The region in the request's SigV4 credential scope (unsigned: us-east-1, as moto assumes)."""
    scope = credential_scope(environ)
    return scope.region if scope else DEFAULT_REGION
