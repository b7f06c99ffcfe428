"""CORS of an HTTP API, answered by the gateway from the API's CORS configuration.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html:
with CORS configured, API Gateway answers preflight `OPTIONS` requests itself (no OPTIONS route
needed), adds the configured CORS headers to responses for allowed origins, and ignores any CORS
headers the integration returns. An origin that is not allowed gets no
`access-control-allow-origin`, so the browser blocks the response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CorsConfig:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None
    allow_credentials: bool

    @classmethod
    def from_api(cls, raw: Mapping[str, Any] | None) -> CorsConfig | None:
        """Read moto's stored `corsConfiguration` (API field names, either capitalisation)."""
        if not raw:
            return None

        def get(name: str) -> Any:
            return raw.get(name, raw.get(name[0].upper() + name[1:]))

        max_age = get("maxAge")
        return cls(
            allow_origins=tuple(get("allowOrigins") or ()),
            allow_methods=tuple(m.upper() for m in get("allowMethods") or ()),
            allow_headers=tuple(h.lower() for h in get("allowHeaders") or ()),
            expose_headers=tuple(h.lower() for h in get("exposeHeaders") or ()),
            max_age=int(max_age) if max_age not in (None, "") else None,
            allow_credentials=bool(get("allowCredentials")),
        )

    def origin_allowed(self, origin: str) -> bool:
        return "*" in self.allow_origins or any(
            origin.lower() == allowed.lower().rstrip("/") for allowed in self.allow_origins
        )

    def allow_origin_value(self, origin: str) -> str:
        return "*" if "*" in self.allow_origins and not self.allow_credentials else origin


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    """A browser preflight: OPTIONS with Origin and Access-Control-Request-Method."""
    return (
        method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers
    )


def preflight_headers(config: CorsConfig, headers: Mapping[str, str]) -> dict[str, str]:
    """Headers of the gateway's 204 answer to a preflight (none for an origin not allowed)."""
    origin = headers.get("origin", "")
    if not config.origin_allowed(origin):
        return {}
    requested_method = headers.get("access-control-request-method", "").upper()
    if (
        config.allow_methods
        and "*" not in config.allow_methods
        and requested_method not in config.allow_methods
    ):
        return {}
    answer = {"access-control-allow-origin": config.allow_origin_value(origin)}
    if config.allow_methods:
        answer["access-control-allow-methods"] = (
            requested_method if "*" in config.allow_methods else ",".join(config.allow_methods)
        )
    if config.allow_headers:
        requested = headers.get("access-control-request-headers", "")
        answer["access-control-allow-headers"] = (
            requested.lower()
            if "*" in config.allow_headers and requested
            else ",".join(config.allow_headers)
        )
    if config.max_age is not None:
        answer["access-control-max-age"] = str(config.max_age)
    if config.allow_credentials:
        answer["access-control-allow-credentials"] = "true"
    answer["vary"] = "Origin"
    return answer


def apply_to_response(
    config: CorsConfig, request_headers: Mapping[str, str], response_headers: dict[str, str]
) -> dict[str, str]:
    """The integration's headers with its own CORS headers replaced by the API's."""
    result = {
        name: value
        for name, value in response_headers.items()
        if not name.lower().startswith("access-control-")
    }
    origin = request_headers.get("origin")
    if origin and config.origin_allowed(origin):
        result["access-control-allow-origin"] = config.allow_origin_value(origin)
        if config.expose_headers:
            result["access-control-expose-headers"] = ",".join(config.expose_headers)
        if config.allow_credentials:
            result["access-control-allow-credentials"] = "true"
        result["vary"] = "Origin"
    return result
