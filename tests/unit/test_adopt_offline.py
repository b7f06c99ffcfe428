"""The adoption pieces that need no account: the plan gate, the `removed` printer, the writer."""

import json
import subprocess
import sys

import pytest

from counterstack.adopt.account import account_clients
from counterstack.adopt.discover import CREATE, IMPORT, Adoption, Row
from counterstack.adopt.plan_gate import PlanGateError, check_plan, gate
from counterstack.adopt.preview import Preview, in_place_changes
from counterstack.adopt.removed import removed_addresses, render_removed
from counterstack.adopt.write import render_adopted, write_adoption
from counterstack.errors import CounterStackError
from counterstack.local.provider import FAKE_ACCESS_KEY, FAKE_SECRET_KEY
from counterstack.plan_json import changed_attributes
from counterstack.terragrunt.hcl import load_hcl

pytestmark = pytest.mark.unit


def change(address, actions, importing=False, before=None, after=None):
    body = {"actions": actions, "before": before, "after": after, "after_unknown": {}}
    if importing:
        body["importing"] = {"id": "x"}
    return {"address": address, "mode": "managed", "change": body}


ADOPTION_PLAN = {
    "resource_changes": [
        change("module.dynamodb.aws_dynamodb_table.this", ["update"], True,
               {"name": "t", "deletion_protection_enabled": False},
               {"name": "t", "deletion_protection_enabled": True}),
        change("module.http_api.aws_apigatewayv2_route.this[\"GET /visitors\"]", ["no-op"], True),
        change("module.http_api.aws_cloudwatch_log_group.access", ["create"]),
        {"address": "module.lambda.data.aws_region.current", "mode": "data",
         "change": {"actions": ["read"]}},
    ]
}  # fmt: skip


def test_changed_attributes_ignore_unchanged_blocks_and_name_unknown_values():
    body = {
        "before": {"timeout": 3, "architectures": ["x86_64"], "last_modified": "t0"},
        "after": {"timeout": 10, "architectures": ["x86_64"], "last_modified": None},
        "after_unknown": {"architectures": [False], "last_modified": True},
    }
    assert changed_attributes(body) == ["last_modified", "timeout"]


def test_gate_passes_imports_in_place_updates_and_new_objects():
    report = gate(ADOPTION_PLAN)
    assert report.summary == "2 to import, 1 to change, 1 to add, 0 to destroy"
    assert report.updates == {
        "module.dynamodb.aws_dynamodb_table.this": ["deletion_protection_enabled"]
    }
    assert report.lines()[1] == (
        "  ~ module.dynamodb.aws_dynamodb_table.this: deletion_protection_enabled"
    )


@pytest.mark.parametrize(
    ("actions", "importing", "why"),
    [
        (["delete", "create"], True, "an imported object would be replaced"),
        (["create", "delete"], False, "an object would be replaced"),
        (["delete"], False, "an object would be destroyed"),
        (["create"], True, "an imported object would be created anew"),
    ],
)
def test_gate_refuses_replacing_deleting_or_recreating(actions, importing, why):
    plan = {
        "resource_changes": [*ADOPTION_PLAN["resource_changes"], change("x.y", actions, importing)]
    }
    with pytest.raises(PlanGateError) as error:
        gate(plan)
    assert f"x.y: {why}" in str(error.value)
    (problem,) = check_plan(plan).problems
    assert problem.startswith(f"x.y: {why}")


PLAN_HEADER = {"format_version": "1.2", "terraform_version": "1.11.4"}  # what show -json writes


def check_plan_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "counterstack.cli", "adopt", "--check-plan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_gate_cli_exits_2_with_one_line_on_a_replacement(tmp_path):
    plan = {**PLAN_HEADER, "resource_changes": [change("a.b", ["delete", "create"], True)]}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    result = check_plan_cli(str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("counterstack adopt: error: adoption plan refused (1 to import")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({}, "not a plan: write it with terraform show -json PLANFILE"),
        ({"values": {"root_module": {}}}, "not a plan: write it with terraform show -json"),
        ({**PLAN_HEADER, "errored": True}, "the plan errored; fix the plan before judging"),
        ({**PLAN_HEADER, "values": {"root_module": {}}}, "not a plan (a state, or no resource"),
    ],
    ids=["empty", "no-version", "errored", "state"],
)
@pytest.mark.parametrize("from_stdin", [False, True], ids=["file", "stdin"])
def test_gate_cli_refuses_what_is_not_a_plan_in_one_line(tmp_path, content, message, from_stdin):
    """The gate reads plans as drift does (plan_json): `{}` used to pass as "0 to destroy"."""
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(content))
    result = (
        check_plan_cli("-", stdin=path.read_text()) if from_stdin else check_plan_cli(str(path))
    )
    assert result.returncode == 2
    source = "stdin" if from_stdin else str(path)
    assert result.stderr.startswith(f"counterstack adopt: error: {source}: {message}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


STATE = {
    "values": {
        "root_module": {
            "resources": [
                {"address": "aws_dynamodb_table.visitor_counter", "mode": "managed",
                 "type": "aws_dynamodb_table", "name": "visitor_counter"},
                {"address": "aws_lambda_permission.apigw[\"a\"]", "mode": "managed",
                 "type": "aws_lambda_permission", "name": "apigw", "index": "a"},
                {"address": "aws_lambda_permission.apigw[\"b\"]", "mode": "managed",
                 "type": "aws_lambda_permission", "name": "apigw", "index": "b"},
                {"address": "data.aws_caller_identity.current", "mode": "data",
                 "type": "aws_caller_identity", "name": "current"},
            ],
            "child_modules": [{"address": "module.site[0]"}, {"address": "module.dns"}],
        }
    }
}  # fmt: skip


def test_removed_blocks_name_resources_without_keys_skip_data_and_cover_modules():
    addresses = removed_addresses(STATE)
    assert addresses == [
        "aws_dynamodb_table.visitor_counter",
        "aws_lambda_permission.apigw",
        "module.site",
        "module.dns",
    ]
    text = render_removed(addresses)
    assert text.count("removed {") == 4
    assert "  from = aws_lambda_permission.apigw\n\n  lifecycle {\n    destroy = false\n  }" in text


def test_removed_blocks_are_valid_terraform(tmp_path):
    (tmp_path / "main.tf").write_text(render_removed(removed_addresses(STATE)))
    parsed = load_hcl(tmp_path / "main.tf")
    assert [block["from"] for block in parsed["removed"]] == [
        "${aws_dynamodb_table.visitor_counter}",
        "${aws_lambda_permission.apigw}",
        "${module.site}",
        "${module.dns}",
    ]


def test_adopted_file_is_the_shape_the_root_reads(tmp_path):
    (tmp_path / "adopted.hcl").write_text(
        render_adopted({"lambda": {"role_path": "/service-role/", "role_name": "r-1"}}, "prod")
    )
    parsed = load_hcl(tmp_path / "adopted.hcl")
    assert parsed["locals"][0]["inputs"] == {
        '"lambda"': {"role_name": '"r-1"', "role_path": '"/service-role/"'}
    }


def test_nothing_is_written_without_an_import(tmp_path):
    adoption = Adoption("prod", [Row("dynamodb", "aws_dynamodb_table.this", "", CREATE, "")])
    assert write_adoption(tmp_path, adoption) == []
    assert list(tmp_path.iterdir()) == []


def test_writing_twice_changes_nothing(tmp_path):
    (tmp_path / "dynamodb").mkdir()
    adoption = Adoption("prod", [Row("dynamodb", "aws_dynamodb_table.this", "t", IMPORT, "")])
    assert write_adoption(tmp_path, adoption) == [tmp_path / "dynamodb" / "imports.tf"]
    assert write_adoption(tmp_path, adoption) == []


def test_writing_brings_imports_up_to_date_with_the_account(tmp_path):
    """New objects added, changed ids replaced, gone ones dropped: imports.tf follows the account
    as adopted.hcl does (it used to keep the blocks it had once the file existed)."""
    for unit in ("dynamodb", "lambda"):
        (tmp_path / unit).mkdir()
    first = Adoption("prod", [
        Row("dynamodb", "aws_dynamodb_table.this", "t", IMPORT, ""),
        Row("lambda", "aws_lambda_function.this", "f", IMPORT, ""),
        Row("lambda", "aws_iam_role.this", "old-role", IMPORT, ""),
    ])  # fmt: skip
    write_adoption(tmp_path, first)
    now = Adoption("prod", [
        Row("lambda", "aws_lambda_function.this", "f", IMPORT, ""),
        Row("lambda", "aws_iam_role.this", "new-role", IMPORT, ""),
        Row("lambda", "aws_cloudwatch_log_group.this", "/aws/lambda/f", IMPORT, ""),
    ])  # fmt: skip
    assert sorted(write_adoption(tmp_path, now)) == [
        tmp_path / "dynamodb" / "imports.tf",  # its table is gone: the file goes
        tmp_path / "lambda" / "imports.tf",
    ]
    assert not (tmp_path / "dynamodb" / "imports.tf").exists()
    blocks = load_hcl(tmp_path / "lambda" / "imports.tf")["import"]
    assert {(b["to"], b["id"]) for b in blocks} == {
        ("${aws_lambda_function.this}", '"f"'),
        ("${aws_iam_role.this}", '"new-role"'),
        ("${aws_cloudwatch_log_group.this}", '"/aws/lambda/f"'),
    }
    assert write_adoption(tmp_path, now) == []  # nothing changed: a no-op


def test_removed_from_names_what_no_unit_will_adopt(tmp_path):
    show = {"values": {"root_module": {
        "resources": [
            {"address": "aws_dynamodb_table.counter", "mode": "managed",
             "type": "aws_dynamodb_table", "name": "counter"},
            {"address": "aws_s3_bucket.site", "mode": "managed",
             "type": "aws_s3_bucket", "name": "site"},
        ],
        "child_modules": [{"address": "module.dns", "resources": [
            {"address": "module.dns.aws_route53_record.api", "mode": "managed",
             "type": "aws_route53_record", "name": "api"},
        ]}],
    }}}  # fmt: skip
    path = tmp_path / "state.json"
    path.write_text(json.dumps(show))
    result = subprocess.run(
        [sys.executable, "-m", "counterstack.cli", "adopt", "--removed-from", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    unmanaged = ["aws_s3_bucket.site", "module.dns.aws_route53_record.api"]
    assert result.stderr.splitlines() == [
        f"not adopted by any unit, unmanaged once removed: {address}" for address in unmanaged
    ]
    assert all(f"#   {address}\n" in result.stdout for address in unmanaged)
    assert "aws_dynamodb_table.counter\n" not in result.stdout.split("removed {")[0]


def test_adopt_clients_for_an_endpoint_use_the_local_accounts_fake_keys():
    client = account_clients("eu-central-1", "http://127.0.0.1:4566/")("dynamodb")
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert client.meta.region_name == "eu-central-1"
    credentials = client._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == (FAKE_ACCESS_KEY, FAKE_SECRET_KEY)


def test_adopt_clients_of_the_default_chain_ask_sts_first(aws):
    client = account_clients("eu-central-1")("sts")
    assert client.meta.region_name == "eu-central-1"
    assert client.get_caller_identity()["Account"]


def test_adopt_without_credentials_fails_before_any_lookup(monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key in ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CounterStackError, match="needs AWS credentials from the default chain"):
        account_clients("eu-west-1")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--counter-key", "", "must be 1-2048 bytes and not blank"),
        ("--counter-key", "k" * 2049, "must be 1-2048 bytes and not blank"),
        ("--counter-attribute", " ", "must be 1-255 bytes and not blank"),
        ("--counter-attribute", "id", "cannot be the table's key attribute id"),
    ],
)
def test_a_counter_the_handler_would_refuse_is_one_line_before_any_lookup(option, value, message):
    """The handler answers 500 for these settings: adopt refuses to write them."""
    result = subprocess.run(
        [sys.executable, "-m", "counterstack.cli", "adopt", "live/prod", option, value],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(f"argument {option}: {message}")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_the_dry_runs_plan_lists_each_in_place_change_with_its_values():
    """What the apply changes on the live stack, value by value: CORS origins, the function's
    code and settings; unknown and sensitive values named, never shown."""
    cors = [{"allow_origins": ["https://a.example"], "max_age": 0}]
    plan = {
        "resource_changes": [
            change("module.http_api.aws_apigatewayv2_api.this", ["update"], True,
                   {"name": "api", "cors_configuration": cors},
                   {"name": "api", "cors_configuration": [
                       {"allow_origins": ["https://a.example", "https://b.example"], "max_age": 0}
                   ]}),
            change("module.lambda.aws_lambda_function.this", ["update"], True,
                   {"timeout": 3, "source_code_hash": "old=", "last_modified": "t0", "kms": "k1"},
                   {"timeout": 10, "source_code_hash": "new=", "last_modified": None,
                    "kms": "k2"}),
            change("module.http_api.aws_cloudwatch_log_group.access", ["create"], False, None,
                   {"name": "/aws/apigateway/api"}),
        ]
    }  # fmt: skip
    function = plan["resource_changes"][1]["change"]
    function["after_unknown"] = {"last_modified": True}
    function["after_sensitive"] = {"kms": True}
    changes = in_place_changes(plan)
    lines = Preview(check_plan(plan), changes).lines()
    assert lines == [
        "the adoption plan: 2 to import, 2 to change, 1 to add, 0 to destroy",
        "  ~ module.http_api.aws_apigatewayv2_api.this: cors_configuration: "
        '[{"allow_origins": ["https://a.example"], "max_age": 0}] -> '
        '[{"allow_origins": ["https://a.example", "https://b.example"], "max_age": 0}]',
        '  ~ module.lambda.aws_lambda_function.this: kms: "k1" -> (sensitive)',
        '  ~ module.lambda.aws_lambda_function.this: last_modified: "t0" -> (known after apply)',
        '  ~ module.lambda.aws_lambda_function.this: source_code_hash: "old=" -> "new="',
        "  ~ module.lambda.aws_lambda_function.this: timeout: 3 -> 10",
    ]
