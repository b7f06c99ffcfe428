"""Data-plane addresses of HTTP APIs on the local account.

Two forms reach the gateway: path-style `http://127.0.0.1:<port>/_aws/execute-api/<api_id>/...`
(works with any HTTP client, no DNS) and host-style `Host: <api_id>.execute-api.localhost:<port>`
(`*.localhost` resolves to loopback in browsers and curl). moto reports every API's
`api_endpoint` as AWS does, `https://<api_id>.execute-api.<region>.amazonaws.com`, and Terraform's
`invoke_url` of a named stage appends `/<stage>`; `local_url` maps either to the local form.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PATH_PREFIX = "/_aws/execute-api/"
PATH_STYLE = re.compile(r"^/_aws/execute-api/(?P<api>[A-Za-z0-9]+)(?P<path>/.*)?$")
HOST_STYLE = re.compile(
    r"^(?P<api>[A-Za-z0-9]+)\.execute-api\.(?:localhost|[a-z0-9-]+\.amazonaws\.com)(?::\d+)?$"
)


def execute_api_target(host: str, path: str) -> tuple[str, str] | None:
    """(api_id, path after the API address) when a request is for execute-api, else None."""
    match = PATH_STYLE.match(path)
    if match:
        return match["api"], match["path"] or "/"
    match = HOST_STYLE.match(host.lower())
    if match:
        return match["api"], path or "/"
    return None


def strip_api_prefix(raw_path: str, api_id: str) -> str:
    """The raw path as AWS would see it: without the local `/_aws/execute-api/<id>` prefix."""
    prefix = f"{PATH_PREFIX}{api_id}"
    if raw_path.startswith(prefix):
        return raw_path[len(prefix) :] or "/"
    return raw_path or "/"


def domain_name(api_id: str, port: int) -> str:
    """The host name of an API on the local account (`requestContext.domainName`)."""
    return f"{api_id}.execute-api.localhost:{port}"


def execute_api_url(endpoint: str, api_id: str, stage: str = "$default", path: str = "/") -> str:
    """Path-style URL of `path` on `stage` (the `$default` stage has no stage segment)."""
    stage_part = "" if stage in ("$default", "") else "/" + stage.strip("/")
    return f"{endpoint.rstrip('/')}{PATH_PREFIX}{api_id}{stage_part}/{path.lstrip('/')}"


def local_url(invoke_url: str, endpoint: str) -> str:
    """Map `https://<api_id>.execute-api.<region>.amazonaws.com[/<stage>][/path]` to local."""
    parts = urlsplit(invoke_url)
    match = re.match(r"^(?P<api>[A-Za-z0-9]+)\.execute-api\.", parts.hostname or "")
    if not match:
        raise ValueError(f"{invoke_url!r} is not an execute-api URL")
    url = f"{endpoint.rstrip('/')}{PATH_PREFIX}{match['api']}{parts.path.rstrip('/') or ''}"
    if parts.path.endswith("/") and parts.path != "/":
        url += "/"
    return url + (f"?{parts.query}" if parts.query else "")
