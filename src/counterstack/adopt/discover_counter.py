"""Where an adopted table holds its count, so that the adopted function goes on counting there.

The handler counts in the item `id = COUNTER_KEY`, attribute COUNTER_ATTRIBUTE (its environment;
default `visitors`, `count`). A function made by hand may have counted elsewhere: replacing its
code would then restart the count at 1. The place is, in this order: the one the command names
(`--counter-key`, `--counter-attribute`), the one the live function's environment names (an
adoption applied before), the default item when it holds a number, the only number in the table
(it is the counter's table: a Scan of a few items reads all of it). Anything else is a conflict
naming the candidates and the options that choose one. A place other than the default becomes the
lambda unit's `environment_variables` in adopted.hcl.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from counterstack.adopt.environment import Environment

CONFLICT, COUNTER = "conflict", "counter"  # actions of counterstack.adopt.discover's rows
KEY_ATTRIBUTE = "id"  # the table's partition key (discovery refuses any other key schema)
DEFAULT_KEY, DEFAULT_ATTRIBUTE = "visitors", "count"
KEY_VARIABLE, ATTRIBUTE_VARIABLE = "COUNTER_KEY", "COUNTER_ATTRIBUTE"
# DynamoDB's limits, as the handler checks its environment: a key value of 1-2048 bytes, an
# attribute name of 1-255.
MAX_KEY_BYTES, MAX_ATTRIBUTE_BYTES = 2048, 255
SCAN_LIMIT = 25  # more items than this: not only the counter's table, so nothing is guessed
SHOWN = 5  # candidates named in a refusal
CHOOSE = "--counter-key ID --counter-attribute NAME"
ADDRESS = "counter"


@dataclass(frozen=True)
class Place:
    """An item and attribute that holds (or will hold) the count, and its value when it does."""

    key: str
    attribute: str
    value: int | None = None

    def __str__(self) -> str:
        where = f'{KEY_ATTRIBUTE} = "{self.key}", attribute {self.attribute}'
        return where if self.value is None else f"{where} ({self.value})"

    @property
    def is_default(self) -> bool:
        return (self.key, self.attribute) == (DEFAULT_KEY, DEFAULT_ATTRIBUTE)

    def environment(self) -> dict[str, str]:
        return {KEY_VARIABLE: self.key, ATTRIBUTE_VARIABLE: self.attribute}


class Refusal(Exception):
    """The count's place cannot be told, or the chosen one cannot count."""


def find_counter(
    adoption: Any, env: Environment, client: Any, chosen: tuple[str, str] | None = None
) -> None:
    """The counter row of an adopted table (and the lambda unit's input when it counts elsewhere);
    nothing when the environment has no table or no function unit, or the table is new."""
    table_unit, function_unit = env.unit("dynamodb"), env.unit("lambda")
    if table_unit is None or function_unit is None:
        return
    table = table_unit.inputs["name"]
    adopted = any(
        row.unit == table_unit.folder and row.address == "aws_dynamodb_table.this"
        for row in adoption.imports
    )
    if not adopted:
        return
    function = function_unit.inputs["function_name"]
    try:
        place, source = _place(client("dynamodb"), table, client, function, chosen)
    except Refusal as refusal:
        adoption.add(function_unit, ADDRESS, table, CONFLICT, str(refusal))
        return
    adoption.add(function_unit, ADDRESS, f"{table}: {place}", COUNTER, source)
    if not place.is_default:
        adoption.set_input(function_unit, "environment_variables", place.environment())


def _place(
    dynamodb: Any, table: str, client: Any, function: str, chosen: tuple[str, str] | None
) -> tuple[Place, str]:
    """The place and why it is the one."""
    if chosen is not None:
        return _checked(dynamodb, table, *chosen), "chosen with --counter-key/--counter-attribute"
    configured = _function_environment(client, function)
    if KEY_VARIABLE in configured or ATTRIBUTE_VARIABLE in configured:
        key = configured.get(KEY_VARIABLE, DEFAULT_KEY)
        attribute = configured.get(ATTRIBUTE_VARIABLE, DEFAULT_ATTRIBUTE)
        return _checked(dynamodb, table, key, attribute), f"the environment of {function}"
    default = _value(dynamodb, table, DEFAULT_KEY, DEFAULT_ATTRIBUTE)
    if isinstance(default, int):
        return Place(DEFAULT_KEY, DEFAULT_ATTRIBUTE, default), "the default place"
    # One item more than the limit tells a table of SCAN_LIMIT items from a bigger one.
    page = dynamodb.scan(TableName=table, Limit=SCAN_LIMIT + 1, ConsistentRead=True)
    items = page.get("Items", [])
    more = len(items) > SCAN_LIMIT
    items = items[:SCAN_LIMIT]
    candidates = [
        Place(item[KEY_ATTRIBUTE]["S"], name, _whole(value))
        for item in items
        if "S" in item.get(KEY_ATTRIBUTE, {})
        for name, value in sorted(item.items())
        if name != KEY_ATTRIBUTE and _whole(value) is not None
    ]
    if not items:
        return Place(DEFAULT_KEY, DEFAULT_ATTRIBUTE), "the table is empty: the first GET counts 1"
    if len(candidates) == 1 and not more:
        return candidates[0], f"the only number in {table}"
    found = (
        f"more than {SCAN_LIMIT} items"
        if more
        else f"{len(candidates) or 'no'} number{'' if len(candidates) == 1 else 's'}"
    )
    named = "; ".join(str(place) for place in candidates[:SHOWN])
    if len(candidates) > SHOWN:
        named += f"; and {len(candidates) - SHOWN} more"
    raise Refusal(
        f'table {table} has no item {KEY_ATTRIBUTE} = "{DEFAULT_KEY}" with a numeric '
        f"{DEFAULT_ATTRIBUTE} and holds {found}{': ' + named if named else ''}; "
        f"name the item and attribute that hold the count with {CHOOSE}"
    )


def _checked(dynamodb: Any, table: str, key: str, attribute: str) -> Place:
    """A chosen place: it may be new (counting starts at 1), else it must hold a number."""
    value = _value(dynamodb, table, key, attribute)
    if value is not None and not isinstance(value, int):
        raise Refusal(
            f'table {table}: {KEY_ATTRIBUTE} = "{key}", attribute {attribute} holds {value}, '
            f"not a whole number, so the function cannot count there; choose another with {CHOOSE}"
        )
    return Place(key, attribute, value)


def _value(dynamodb: Any, table: str, key: str, attribute: str) -> int | str | None:
    """The attribute's number; a description of a value of another type; None when absent."""
    item = dynamodb.get_item(
        TableName=table, Key={KEY_ATTRIBUTE: {"S": key}}, ConsistentRead=True
    ).get("Item", {})
    value = item.get(attribute)
    if value is None:
        return None
    whole = _whole(value)
    if whole is not None:
        return whole
    return value["N"] if "N" in value else f"a value of type {next(iter(value))}"


def _whole(value: dict[str, Any]) -> int | None:
    """A DynamoDB number that is a whole number (what the handler counts), else None."""
    text = value.get("N")
    return int(text) if isinstance(text, str) and text.lstrip("-").isdigit() else None


def _function_environment(client: Any, function: str) -> dict[str, str]:
    try:
        configuration = client("lambda").get_function(FunctionName=function)["Configuration"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        return {}
    return configuration.get("Environment", {}).get("Variables", {})
