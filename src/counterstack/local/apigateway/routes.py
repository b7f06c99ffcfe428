"""Route selection of an HTTP API, with API Gateway's priorities.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
(section "Routing API requests"): the most specific match wins — a full match of route and
method, then a route with path variables, then one with a greedy `{proxy+}` variable, and
`$default` catches what nothing else matched. `ANY` matches every method a path has not defined
explicitly, so an explicit method beats `ANY` on the same path.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class RouteMatch:
    route_key: str
    target: str | None
    path_parameters: dict[str, str]


def _match_path(template: str, path: str) -> tuple[int, int, dict[str, str]] | None:
    """(kind, literal segments, parameters) when `path` matches, kind 0 exact/1 vars/2 greedy."""
    want = template.strip("/").split("/") if template.strip("/") else []
    have = path.strip("/").split("/") if path.strip("/") else []
    parameters: dict[str, str] = {}
    kind, literals = 0, 0
    for index, part in enumerate(want):
        if part.startswith("{") and part.endswith("+}"):
            rest = have[index:]
            if index != len(want) - 1 or not rest:
                return None
            parameters[part[1:-2]] = unquote("/".join(rest))
            return 2, literals, parameters
        if index >= len(have):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not have[index]:
                return None
            parameters[part[1:-1]] = unquote(have[index])
            kind = 1
        elif part != have[index]:
            return None
        else:
            literals += 1
    if len(have) != len(want):
        return None
    return kind, literals, parameters


def select_route(routes: dict[str, str | None], method: str, path: str) -> RouteMatch | None:
    """The route (`route key → integration target`) that serves `method path`, or None."""
    best: tuple[tuple[int, int, int], RouteMatch] | None = None
    for route_key, target in routes.items():
        if route_key == DEFAULT_ROUTE:
            continue
        route_method, _, template = route_key.partition(" ")
        if route_method not in (method, "ANY"):
            continue
        matched = _match_path(template, path)
        if matched is None:
            continue
        kind, literals, parameters = matched
        rank = (kind, -literals, 1 if route_method == "ANY" else 0)
        if best is None or rank < best[0]:
            best = (rank, RouteMatch(route_key, target, parameters))
    if best is not None:
        return best[1]
    if DEFAULT_ROUTE in routes:
        return RouteMatch(DEFAULT_ROUTE, routes[DEFAULT_ROUTE], {})
    return None
