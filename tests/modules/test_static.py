"""Static checks of the Terraform code: formatting, validity, README tables equal to the code."""

import json
import re
from pathlib import Path

import hcl2
import pytest
from terraform_runner import terraform

from counterstack.harness.plan import prepare_copy
from counterstack.paths import EXAMPLE_COMPLETE, MODULES_DIR, REPO_ROOT

pytestmark = pytest.mark.modules

MODULES = sorted(p for p in MODULES_DIR.iterdir() if (p / "main.tf").is_file())
# Account-level modules: applied once per account by a person (accounts/<account>/identities),
# not part of the stack examples/complete composes; their own plan tests validate them.
ACCOUNT_MODULES = {"identities"}
STACK_MODULES = [p for p in MODULES if p.name not in ACCOUNT_MODULES]
ROOTS = [*MODULES, EXAMPLE_COMPLETE]
VALIDATED_ROOTS = [*STACK_MODULES, EXAMPLE_COMPLETE]
CONTRACT = {
    "alarms": (
        {
            "name", "function_name", "function_timeout", "api_id", "stage_name", "alarm_emails",
            "allow_no_subscribers",
            "period", "evaluation_periods", "datapoints_to_alarm", "treat_missing_data",
            "errors_threshold", "throttles_threshold", "duration_threshold_percent",
            "api_5xx_threshold", "create_4xx_alarm", "api_4xx_rate_threshold",
            "create_latency_alarm", "latency_p99_threshold", "latency_evaluation_periods",
            "latency_datapoints_to_alarm", "kms_master_key_id", "tags",
        },
        {"topic_arn", "topic_name", "alarm_names", "alarm_arns", "kms_key_arn"},
    ),
    "dynamodb": (
        {
            "name", "hash_key", "point_in_time_recovery", "deletion_protection", "tags",
            "kms_key_arn",
        },
        {"name", "arn"},
    ),
    "lambda": (
        {
            "function_name", "package_path", "handler", "runtime", "environment_variables",
            "policy_statements", "timeout", "memory_size", "reserved_concurrent_executions",
            "log_retention_days", "tags", "role_name", "role_path", "policy_name",
            "architectures", "tracing_mode", "permissions_boundary", "log_group_kms_key_arn",
        },
        {
            "function_name", "arn", "invoke_arn", "role_arn", "log_group_name", "qualified_arn",
            "version", "role_name", "log_group_arn", "timeout",
        },
    ),
    "identities": (
        {
            "repository", "oidc_provider_arn", "oidc_thumbprints", "roles", "role_name_prefix",
            "stack", "state_bucket", "state_key_prefix", "nightly_name_prefix", "tags",
        },
        {
            "role_arns", "role_names", "role_kinds", "oidc_provider_arn",
            "permissions_boundary_arn", "nightly_permissions_boundary_arn",
        },
    ),
    "http-api": (
        {
            "name", "routes", "stage_name", "cors_allow_origins", "throttling_burst_limit",
            "throttling_rate_limit", "access_log_retention_days", "tags",
            "permission_statement_id", "permission_source_arn", "permission_statement_ids",
            "permission_source_arns", "access_log_kms_key_arn",
        },
        {
            "api_id", "api_endpoint", "execution_arn", "invoke_url", "api_arn", "stage_arn",
            "access_log_group_arn",
        },
    ),
}  # fmt: skip


def test_terraform_fmt_check_over_the_repo():
    result = terraform(REPO_ROOT, "fmt", "-check", "-recursive", "-list=true")
    unformatted = [
        line for line in result.stdout.splitlines() if not line.startswith((".venv/", ".git/"))
    ]
    assert unformatted == [], f"run terraform fmt on: {unformatted}\n{result.stderr}"


@pytest.fixture(scope="module")
def validation(tmp_path_factory, plan_provider) -> dict:
    """`terraform validate -json` of examples/complete, which calls every module: Terraform
    validates each module's code in the same run (one schema load instead of five)."""
    copy = prepare_copy(EXAMPLE_COMPLETE, tmp_path_factory.mktemp("validate"))
    # validate needs the provider's schema, not a provider of its own: both reattach
    init = terraform(copy, "init", "-backend=false", "-input=false", provider=plan_provider)
    assert init.returncode == 0, init.stdout + init.stderr
    result = terraform(copy, "validate", "-json", provider=plan_provider)
    return json.loads(result.stdout)


def diagnostics_of(report: dict, root: Path) -> list[dict]:
    """The diagnostics in `root`'s files (a module's are under ../../modules/<name>/)."""

    def owner(diagnostic: dict) -> str:
        parts = Path(diagnostic.get("range", {}).get("filename", "")).parts
        if MODULES_DIR.name in parts and parts.index(MODULES_DIR.name) + 1 < len(parts):
            return parts[parts.index(MODULES_DIR.name) + 1]
        return EXAMPLE_COMPLETE.name

    return [d for d in report["diagnostics"] if owner(d) == root.name]


def test_the_example_calls_every_module():
    sources = re.findall(
        r'source\s*=\s*"\.\./\.\./modules/([^"]+)"', (EXAMPLE_COMPLETE / "main.tf").read_text()
    )
    assert sorted(set(sources)) == [module.name for module in STACK_MODULES]


@pytest.mark.parametrize(
    "root", VALIDATED_ROOTS, ids=[p.relative_to(REPO_ROOT).as_posix() for p in VALIDATED_ROOTS]
)
def test_terraform_validate(root, validation):
    assert diagnostics_of(validation, root) == []  # no error, no warning in its files
    assert validation["valid"], validation["diagnostics"]


@pytest.mark.parametrize("module", MODULES, ids=[p.name for p in MODULES])
def test_module_layout_and_versions(module):
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module / name).is_file(), f"{module.name}/{name} is missing"
    versions = hcl2.load((module / "versions.tf").open())["terraform"][0]
    assert _unquote(versions["required_version"]) == ">= 1.9"
    providers = {
        _unquote(k): v
        for k, v in versions["required_providers"][0].items()
        if not k.startswith("__")
    }
    assert list(providers) == ["aws"]
    assert _unquote(providers["aws"]["source"]) == "hashicorp/aws"
    assert _unquote(providers["aws"]["version"]) == "~> 5.100"
    text = "\n".join(p.read_text() for p in module.glob("*.tf"))
    assert not re.search(r'^\s*(provider\s+"|backend\s+")', text, re.MULTILINE)


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _type(expression: str) -> str:
    expression = expression.removeprefix("${").removesuffix("}")
    return re.sub(r"\s+", "", expression)


def _default(value):
    """python-hcl2 keeps the quotes of strings, also inside lists and maps."""
    if isinstance(value, list):
        return [_default(item) for item in value]
    if isinstance(value, dict):
        return {_unquote(key): _default(item) for key, item in value.items()}
    return json.loads(value) if isinstance(value, str) and value.startswith('"') else value


def declared(module: Path):
    """Inputs (name -> (type, default, required)) and outputs of the module's .tf files."""
    inputs = {}
    for block in hcl2.load((module / "variables.tf").open()).get("variable", []):
        for name, body in block.items():
            required = "default" not in body
            default = None if required else _default(body["default"])
            inputs[_unquote(name)] = (_type(body["type"]), default, required)
    outputs = {
        _unquote(name)
        for block in hcl2.load((module / "outputs.tf").open()).get("output", [])
        for name in block
    }
    return inputs, outputs


def _table(readme: str, heading: str) -> list[list[str]]:
    section = readme.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


def documented(module: Path):
    """Inputs and outputs as the README's tables state them."""
    readme = (module / "README.md").read_text()
    inputs = {}
    for name, _description, type_, default, required in _table(readme, "Inputs"):
        is_required = required == "yes"
        value = None if default == "n/a" else json.loads(default.strip("`"))
        inputs[name] = (_type(type_.strip("`")), value, is_required)
    outputs = {row[0] for row in _table(readme, "Outputs")}
    return inputs, outputs


@pytest.mark.parametrize("module", ROOTS, ids=[p.name for p in ROOTS])
def test_readme_tables_match_the_code(module):
    code_inputs, code_outputs = declared(module)
    doc_inputs, doc_outputs = documented(module)
    assert doc_inputs == code_inputs
    assert doc_outputs == code_outputs


@pytest.mark.parametrize("module", MODULES, ids=[p.name for p in MODULES])
def test_public_contract_names_are_kept(module):
    inputs, outputs = declared(module)
    assert (set(inputs), outputs) == CONTRACT[module.name]


@pytest.mark.parametrize("module", [*MODULES, EXAMPLE_COMPLETE], ids=lambda p: p.name)
def test_every_input_and_output_is_described_and_every_error_names_its_variable(module):
    for block in hcl2.load((module / "variables.tf").open())["variable"]:
        for name, body in block.items():
            name = _unquote(name)
            assert _unquote(body.get("description", "")), f"{name} has no description"
            assert "type" in body, f"{name} has no type"
            for rule in body.get("validation", []):
                message = _unquote(rule["error_message"])
                assert message.startswith(f"{name} "), f"{name}: {message}"
    for block in hcl2.load((module / "outputs.tf").open())["output"]:
        for name, body in block.items():
            assert _unquote(body.get("description", "")), f"output {name} has no description"
