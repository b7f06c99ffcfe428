"""Find in an account every object a live/<env> would create, and how to import each into its unit.

One row per module address: `import` (it exists; the id is what hashicorp/aws 5.x's import takes),
`create` (it does not exist yet), `conflict` (it exists in a shape the module cannot take over
without replacing or sharing it) or `left alone` (it exists next to an adopted object, and the
modules do not manage it: a managed policy on the role, another route, stage or permission).
Identity values that must match the existing objects come back as unit inputs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from counterstack.adopt.discover_alarms import find_alarms
from counterstack.adopt.discover_counter import find_counter
from counterstack.adopt.environment import Environment, Unit

ClientFactory = Callable[[str], Any]

IMPORT, CREATE, CONFLICT, LEFT_ALONE = "import", "create", "conflict", "left alone"
API_GATEWAY = "apigateway.amazonaws.com"
NOT_FOUND = {"ResourceNotFoundException", "NoSuchEntity", "NotFoundException"}
DEFAULT_STAGE = "$default"
# The resource types the units take over; anything else in an old root stays unmanaged.
ADOPTED_TYPES = frozenset(
    {
        "aws_dynamodb_table",
        "aws_lambda_function",
        "aws_cloudwatch_log_group",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_apigatewayv2_api",
        "aws_apigatewayv2_integration",
        "aws_apigatewayv2_route",
        "aws_apigatewayv2_stage",
        "aws_lambda_permission",
    }
)


@dataclass(frozen=True)
class Row:
    unit: str
    address: str
    id: str
    action: str
    reason: str


@dataclass
class Adoption:
    environment: str
    resources: list[Row] = field(default_factory=list)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def conflicts(self) -> list[Row]:
        return [row for row in self.resources if row.action == CONFLICT]

    @property
    def imports(self) -> list[Row]:
        return [row for row in self.resources if row.action == IMPORT]

    def add(self, unit: Unit, address: str, id_: str, action: str, reason: str) -> None:
        self.resources.append(Row(unit.folder, address, id_, action, reason))

    def set_input(self, unit: Unit, name: str, value: Any) -> None:
        self.inputs.setdefault(unit.folder, {})[name] = value

    def set_input_entry(self, unit: Unit, name: str, key: str, value: Any) -> None:
        """One entry of a map input (e.g. a function's permission statement id)."""
        self.inputs.setdefault(unit.folder, {}).setdefault(name, {})[key] = value

    def as_json(self) -> dict[str, Any]:
        return {"resources": [asdict(row) for row in self.resources], "inputs": self.inputs}


def discover(
    env: Environment,
    client: ClientFactory,
    api_id: str | None = None,
    region: str | None = None,
    counter: tuple[str, str] | None = None,
) -> Adoption:
    """What each unit of `env` would create, looked up in the account `client` reaches, in
    `region` (default: env.hcl's) wherever a region appears, ARNs included; and where an adopted
    table keeps its count (`counter`: the item key and attribute the operator chose)."""
    env = replace(env, region=region or env.region)
    adoption = Adoption(env.name)
    finders = {
        "dynamodb": _table,
        "lambda": _function,
        "http-api": _http_api,
        "alarms": find_alarms,
    }
    for unit in env.units:
        finder = finders.get(unit.module)
        if finder is None:
            adoption.add(unit, "*", "", CONFLICT, f"adopt knows no module {unit.module!r}")
            continue
        finder(adoption, unit, client, env, api_id)
    find_counter(adoption, env, client, counter)
    return adoption


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in NOT_FOUND


def _log_group(adoption: Adoption, unit: Unit, client: ClientFactory, address: str, name: str):
    groups = client("logs").describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
    if any(group["logGroupName"] == name for group in groups):
        adoption.add(unit, address, name, IMPORT, "log group exists")
    else:
        adoption.add(unit, address, "", CREATE, f"no log group {name}")


# --- dynamodb --------------------------------------------------------------------------------


def _table(adoption: Adoption, unit: Unit, client: ClientFactory, *_: Any) -> None:
    name, hash_key = unit.inputs["name"], unit.inputs.get("hash_key", "id")
    address = "aws_dynamodb_table.this"
    try:
        table = client("dynamodb").describe_table(TableName=name)["Table"]
    except ClientError as error:
        if not _missing(error):
            raise
        adoption.add(unit, address, "", CREATE, f"no table {name}")
        return
    keys = [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    if keys != [(hash_key, "HASH")] or types.get(hash_key) != "S":
        found = ", ".join(f"{n} ({types.get(n, '?')}, {t})" for n, t in keys)
        adoption.add(
            unit,
            address,
            name,
            CONFLICT,
            f"table {name} has key schema {found}; the module's is {hash_key} (S, HASH) and a "
            "key change replaces the table: copy the data to a new table or rename table_name "
            "in env.hcl",
        )
        return
    adoption.add(unit, address, name, IMPORT, f"table exists with key {hash_key} (S)")


# --- lambda ----------------------------------------------------------------------------------


def _function(adoption: Adoption, unit: Unit, client: ClientFactory, *_: Any) -> None:
    name = unit.inputs["function_name"]
    lam, iam = client("lambda"), client("iam")
    try:
        function = lam.get_function(FunctionName=name)["Configuration"]
    except ClientError as error:
        if not _missing(error):
            raise
        function = None
    if function is None:
        adoption.add(unit, "aws_lambda_function.this", "", CREATE, f"no function {name}")
        role_name = unit.inputs.get("role_name") or name
    else:
        adoption.add(unit, "aws_lambda_function.this", name, IMPORT, "function exists")
        role_name = function["Role"].rsplit("/", 1)[1]
    _log_group(adoption, unit, client, "aws_cloudwatch_log_group.this", f"/aws/lambda/{name}")

    try:
        role = iam.get_role(RoleName=role_name)["Role"]
    except ClientError as error:
        if not _missing(error):
            raise
        adoption.add(unit, "aws_iam_role.this", "", CREATE, f"no role {role_name}")
        adoption.add(unit, "aws_iam_role_policy.this", "", CREATE, "the role is new")
        return
    sharing = sorted(
        other["FunctionName"]
        for page in lam.get_paginator("list_functions").paginate()
        for other in page["Functions"]
        if other["Role"] == role["Arn"] and other["FunctionName"] != name
    )
    if sharing:
        adoption.add(
            unit,
            "aws_iam_role.this",
            role_name,
            CONFLICT,
            f"role {role_name} is also the execution role of {', '.join(sharing)}; the module "
            f"rewrites its policy for {name} alone: give those functions their own role first",
        )
        return
    adoption.add(unit, "aws_iam_role.this", role_name, IMPORT, f"execution role of {name}")
    if role_name != name:
        adoption.set_input(unit, "role_name", role_name)
    if role.get("Path", "/") != "/":
        adoption.set_input(unit, "role_path", role["Path"])

    inline = sorted(
        policy
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name)
        for policy in page["PolicyNames"]
    )
    wanted = unit.inputs.get("policy_name") or name
    adopted = wanted if wanted in inline else (inline[0] if len(inline) == 1 else None)
    if adopted is None:
        adoption.add(unit, "aws_iam_role_policy.this", "", CREATE, f"no inline policy {wanted}")
    else:
        adoption.add(
            unit, "aws_iam_role_policy.this", f"{role_name}:{adopted}", IMPORT, "inline policy"
        )
        if adopted != name:
            adoption.set_input(unit, "policy_name", adopted)
    for other in inline:
        if other != adopted:
            adoption.add(
                unit, f"inline policy {other}", f"{role_name}:{other}", LEFT_ALONE, "not managed"
            )
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
        for policy in page["AttachedPolicies"]:
            adoption.add(
                unit,
                f"managed policy {policy['PolicyName']}",
                f"{role_name}/{policy['PolicyArn']}",  # aws_iam_role_policy_attachment's id
                LEFT_ALONE,
                f"attached to {role_name}; the module neither manages nor detaches it",
            )


# --- http-api --------------------------------------------------------------------------------


def _http_api(
    adoption: Adoption, unit: Unit, client: ClientFactory, env: Environment, api_id: str | None
) -> None:
    name, stage_name = unit.inputs["name"], unit.inputs.get("stage_name", "prod")
    routes: dict[str, Any] = unit.inputs["routes"]
    apigw = client("apigatewayv2")
    api = _choose_api(adoption, unit, apigw, name, api_id)
    if api is False:
        return
    access_logs = f"/aws/apigateway/{name}"
    if api is None:
        for address in ("aws_apigatewayv2_api.this", "aws_apigatewayv2_stage.this"):
            adoption.add(unit, address, "", CREATE, f"no HTTP API {name}")
        for key in routes:
            for kind in ("integration", "route"):
                adoption.add(unit, f'aws_apigatewayv2_{kind}.this["{key}"]', "", CREATE, "new API")
        _log_group(adoption, unit, client, "aws_cloudwatch_log_group.access", access_logs)
        for key in routes:
            adoption.add(unit, f'aws_lambda_permission.this["{key}"]', "", CREATE, "new API")
        return

    api_id = api["ApiId"]
    adoption.add(unit, "aws_apigatewayv2_api.this", api_id, IMPORT, f"serves {api['ApiEndpoint']}")
    existing = {route["RouteKey"]: route for route in _items(apigw.get_routes, ApiId=api_id)}
    for key in routes:
        route = existing.get(key)
        if route is None:
            for kind in ("integration", "route"):
                adoption.add(unit, f'aws_apigatewayv2_{kind}.this["{key}"]', "", CREATE, "new")
            continue
        target = route.get("Target", "")
        if target.startswith("integrations/"):
            integration = target.split("/", 1)[1]
            adoption.add(
                unit,
                f'aws_apigatewayv2_integration.this["{key}"]',
                f"{api_id}/{integration}",
                IMPORT,
                f"target of {key}",
            )
        else:
            adoption.add(
                unit, f'aws_apigatewayv2_integration.this["{key}"]', "", CREATE, "no target"
            )
        route_id = f"{api_id}/{route['RouteId']}"
        adoption.add(unit, f'aws_apigatewayv2_route.this["{key}"]', route_id, IMPORT, key)
    for key, route in sorted(existing.items()):
        if key not in routes:
            adoption.add(unit, f"route {key}", f"{api_id}/{route['RouteId']}", LEFT_ALONE, "")
    stages = {stage["StageName"] for stage in _items(apigw.get_stages, ApiId=api_id)}
    if stage_name in stages:
        adoption.add(unit, "aws_apigatewayv2_stage.this", f"{api_id}/{stage_name}", IMPORT, "")
    elif DEFAULT_STAGE in stages:
        adoption.add(
            unit,
            "aws_apigatewayv2_stage.this",
            f"{api_id}/{DEFAULT_STAGE}",
            CONFLICT,
            f"API {api_id} serves its {DEFAULT_STAGE} stage (URLs without a stage segment); a new "
            f"stage {stage_name} would change the URL the website calls: set the http-api unit's "
            f'stage_name input to "{DEFAULT_STAGE}" (stage_name in env.hcl) to adopt it',
        )
    else:
        adoption.add(unit, "aws_apigatewayv2_stage.this", "", CREATE, f"no stage {stage_name}")
    for other in sorted(stages - {stage_name}):
        adoption.add(unit, f"stage {other}", f"{api_id}/{other}", LEFT_ALONE, "not managed")
    _log_group(adoption, unit, client, "aws_cloudwatch_log_group.access", access_logs)
    execution_arn = _execution_arn(api_id, env.region, client)
    taken: set[tuple[str, str]] = set()  # (function, statement id) adopted by a route
    seen: dict[tuple[str, str], str | None] = {}  # every statement of the functions: its source
    for key in sorted(routes):
        function = routes[key]["function_name"]
        seen |= _permission(adoption, unit, client, key, function, execution_arn, taken)
    for (function, sid), source in seen.items():
        if (function, sid) not in taken:
            adoption.add(
                unit, f"permission {sid}", f"{function}/{sid}", LEFT_ALONE, f"source {source}"
            )


def _items(call: Callable[..., Any], **kwargs: Any) -> list[dict[str, Any]]:
    items, token = [], None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        items += page.get("Items", [])
        token = page.get("NextToken")
        if not token:
            return items


def _choose_api(
    adoption: Adoption, unit: Unit, apigw: Any, name: str, api_id: str | None
) -> dict[str, Any] | bool | None:
    """The API to adopt; None when there is none; False after reporting a conflict."""
    named = [api for api in _items(apigw.get_apis) if api["Name"] == name]
    named = [api for api in named if api.get("ProtocolType") == "HTTP"]
    if api_id is not None:
        chosen = [api for api in named if api["ApiId"] == api_id]
        if not chosen:
            found = ", ".join(api["ApiId"] for api in named) or "none"
            adoption.add(
                unit,
                "aws_apigatewayv2_api.this",
                api_id,
                CONFLICT,
                f"--api-id {api_id} is not an HTTP API named {name} (those are: {found})",
            )
            return False
        return chosen[0]
    if len(named) > 1:
        listed = "; ".join(f"{api['ApiId']} ({api['ApiEndpoint']})" for api in named)
        adoption.add(
            unit,
            "aws_apigatewayv2_api.this",
            ",".join(api["ApiId"] for api in named),
            CONFLICT,
            f"{len(named)} HTTP APIs are named {name}: {listed}; choose the one the website "
            "calls with --api-id",
        )
        return False
    return named[0] if named else None


def _execution_arn(api_id: str, region: str, client: ClientFactory) -> str:
    """The API's execution ARN, in the account's own partition (aws, aws-cn, aws-us-gov)."""
    identity = client("sts").get_caller_identity()
    partition = identity["Arn"].split(":")[1]
    return f"arn:{partition}:execute-api:{region}:{identity['Account']}:{api_id}"


def route_statement_id(api_name: str, route_key: str) -> str:
    """The http-api module's default statement id of a route's permission."""
    digest = hashlib.sha1(route_key.encode()).hexdigest()[:8]
    return f"AllowInvokeFromHttpApi-{api_name}"[:91] + f"-{digest}"


def route_source_arn(execution_arn: str, stage: str, route_key: str) -> str:
    """The http-api module's default source ARN of a route's permission: the route only."""
    if route_key == "$default":
        return f"{execution_arn}/{stage}/$default"
    method, path = route_key.split(" ", 1)
    path = re.sub(r"\{[^}]+\}", "*", path).removeprefix("/")
    return f"{execution_arn}/{stage}/{'*' if method == 'ANY' else method}/{path}"


def _permission(
    adoption: Adoption,
    unit: Unit,
    client: ClientFactory,
    route_key: str,
    function: str,
    execution_arn: str,
    taken: set[tuple[str, str]],
) -> dict[tuple[str, str], str | None]:
    """Adopts the statement of `function`'s policy that lets this API invoke it, for one route
    (one another route took is not taken twice); every statement of the policy, by (function,
    statement id), with its source ARN."""
    address = f'aws_lambda_permission.this["{route_key}"]'
    try:
        policy = json.loads(client("lambda").get_policy(FunctionName=function)["Policy"])
    except ClientError as error:
        if not _missing(error):
            raise
        adoption.add(unit, address, "", CREATE, f"{function} has no resource policy")
        return {}
    module_default = route_statement_id(unit.inputs["name"], route_key)
    default_source = route_source_arn(
        execution_arn, unit.inputs.get("stage_name", "prod"), route_key
    )
    default_id = (
        (unit.inputs.get("permission_statement_ids") or {}).get(route_key)
        or unit.inputs.get("permission_statement_id")
        or module_default
    )
    ours, others = [], []
    for statement in policy.get("Statement", []):
        source = _source_arn(statement)
        from_api = (
            API_GATEWAY in _services(statement.get("Principal"))
            and source is not None
            and source.startswith(f"{execution_arn}/")
            and (function, statement["Sid"]) not in taken
        )
        (ours if from_api else others).append((statement["Sid"], source))
    ours.sort(key=lambda sid_source: (sid_source[0] != default_id, sid_source[1] != default_source))
    if not ours:
        adoption.add(unit, address, "", CREATE, f"no statement lets this API invoke {function}")
    else:
        sid, source = ours[0]
        taken.add((function, sid))
        adoption.add(unit, address, f"{function}/{sid}", IMPORT, f"source {source}")
        # Per route: each route's permission may be its own console-made statement.
        if sid != module_default:
            adoption.set_input_entry(unit, "permission_statement_ids", route_key, sid)
        if source != default_source:
            adoption.set_input_entry(unit, "permission_source_arns", route_key, source)
    return {(function, sid): source for sid, source in [*ours, *others]}


def _services(principal: Any) -> list[str]:
    """A statement's service principals: `Principal` may be "*", or map a key to one or many."""
    if not isinstance(principal, dict):
        return []
    services = principal.get("Service", [])
    return [services] if isinstance(services, str) else list(services)


def _source_arn(statement: dict[str, Any]) -> str | None:
    condition = statement.get("Condition") or {}
    for operator in ("ArnLike", "ArnEquals", "StringLike", "StringEquals"):
        value = (condition.get(operator) or {}).get("AWS:SourceArn")
        if value:
            return value
    return None
