"""modules/dynamodb: given a name, the plan holds one on-demand, encrypted, recoverable table."""

import pytest

from counterstack.harness.plan import validation_messages
from counterstack.harness.plan_batch import Variant
from counterstack.paths import MODULES_DIR

pytestmark = pytest.mark.modules

DYNAMODB = MODULES_DIR / "dynamodb"
TABLE = "aws_dynamodb_table.this"


def planned(package_path: str) -> dict[str, Variant]:
    """This file's input sets (tests/modules/conftest.py plans every file's in one plan)."""
    custom = {
        "name": "plan-test.custom_table",
        "hash_key": "pk",
        "point_in_time_recovery": False,
        "deletion_protection": True,
        "tags": {"Team": "web"},
    }
    return {"minimal": (DYNAMODB, {"name": "plan-test-visitors"}), "custom": (DYNAMODB, custom)}


@pytest.fixture
def minimal(plans):
    return plans["minimal"]


@pytest.fixture
def custom(plans):
    return plans["custom"]


def test_minimal_inputs_plan_one_table(minimal):
    assert minimal.counts == {"resources": 1, "aws_dynamodb_table": 1}


def test_table_is_on_demand_with_a_string_hash_key(minimal):
    table = minimal.values[TABLE]
    assert table["name"] == "plan-test-visitors"
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["hash_key"] == "id"
    assert table["range_key"] is None
    assert table["attribute"] == [{"name": "id", "type": "S"}]


def test_defaults_turn_on_pitr_and_sse_and_leave_deletion_protection_off(minimal):
    table = minimal.values[TABLE]
    assert table["point_in_time_recovery"] == [{"enabled": True}]
    assert table["server_side_encryption"] == [{"enabled": True}]
    assert table["deletion_protection_enabled"] is False


def test_outputs_name_is_known_and_arn_after_apply(minimal):
    assert minimal.outputs["name"] == "plan-test-visitors"
    assert minimal.output_is_unknown("arn")
    assert minimal.is_unknown(TABLE, "arn")
    assert minimal.references("aws_dynamodb_table.this", "name") == ["var.name"]


def test_inputs_reach_the_table(custom):
    table = custom.values[TABLE]
    assert table["name"] == "plan-test.custom_table"
    assert table["hash_key"] == "pk"
    assert table["attribute"] == [{"name": "pk", "type": "S"}]
    assert table["point_in_time_recovery"] == [{"enabled": False}]
    assert table["server_side_encryption"] == [{"enabled": True}]
    assert table["deletion_protection_enabled"] is True
    assert table["tags"] == {"Team": "web"}


INVALID = {  # case: (inputs, the variable its error must name)
    "name-too-short": ({"name": "ab"}, "name"),
    "name-too-long": ({"name": "x" * 256}, "name"),
    "name-space": ({"name": "has space"}, "name"),
    "name-slash": ({"name": "slash/name"}, "name"),
    "hash-key-empty": ({"name": "ok-name", "hash_key": ""}, "hash_key"),
    "hash-key-space": ({"name": "ok-name", "hash_key": "has space"}, "hash_key"),
    "tag-key-empty": ({"name": "ok-name", "tags": {"": "empty-key"}}, "tags"),
    "tag-value-too-long": ({"name": "ok-name", "tags": {"k": "v" * 257}}, "tags"),
}
VALID = {
    "shortest-name": {"name": "abc"},
    "longest-name": {"name": "A" * 255, "hash_key": "pk"},
    "name-punctuation": {"name": "a.b_c-d"},
}


@pytest.fixture(scope="module")
def outcomes(judged):
    """Every case below judged by one plan: its validation errors, "" if it passes."""
    return judged(DYNAMODB, {case: inputs for case, (inputs, _) in INVALID.items()} | VALID)


@pytest.mark.parametrize("case", INVALID)
def test_invalid_input_is_rejected_naming_the_variable(outcomes, case):
    variable = INVALID[case][1]
    messages = validation_messages(outcomes[case])
    assert list(messages) == [variable]
    assert all(message.startswith(f"{variable} ") for message in messages[variable])


@pytest.mark.parametrize("case", VALID)
def test_valid_names_pass_validation(outcomes, case):
    assert outcomes[case] == ""
