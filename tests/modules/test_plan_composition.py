"""The modules composed as another engineer would from the READMEs, and rejected in a real plan."""

import re
import shutil
import textwrap

import pytest

from counterstack.harness.plan import plan_error, plan_summary, validation_messages
from counterstack.paths import MODULES_DIR

pytestmark = pytest.mark.modules

READMES = [MODULES_DIR / name / "README.md" for name in ("dynamodb", "lambda", "http-api")]


def usage_block(readme):
    """The first ```hcl block of a README: the usage a reader copies."""
    match = re.search(r"```hcl\n(.*?)```", readme.read_text(), re.DOTALL)
    assert match, f"{readme} has no hcl usage block"
    return match[1]


def test_readme_usage_blocks_compose_into_a_stack(
    tmp_path, aws_endpoint, plan_provider, package_path
):
    """Different names, region and origins from the example's: only the READMEs were read."""
    root = tmp_path / "src" / "stacks" / "guestbook"
    root.mkdir(parents=True)
    (root / "main.tf").write_text("\n".join(usage_block(readme) for readme in READMES))
    work = tmp_path / "work"
    (work / "build").mkdir(parents=True)  # the usage's ../../build/visitor_counter.zip
    shutil.copy(package_path, work / "build" / "visitor_counter.zip")

    stack = plan_summary(
        root, work, endpoint=aws_endpoint, provider=plan_provider, provider_region="us-west-2"
    )

    assert stack.counts["modules"] == 3
    assert stack.counts["resources"] == 11
    assert stack.data["module.visitor_counter.data.aws_region.current"]["name"] == "us-west-2"
    table = stack.values["module.visitors_table.aws_dynamodb_table.this"]
    assert table["name"] == "guestbook-visitors"
    function = stack.values["module.visitor_counter.aws_lambda_function.this"]
    assert function["function_name"] == "guestbook-visitor-counter"
    assert function["environment"] == [{"variables": {"TABLE_NAME": "guestbook-visitors"}}]
    api = stack.values["module.visitors_api.aws_apigatewayv2_api.this"]
    assert api["name"] == "guestbook-visitors-api"
    assert sorted(api["cors_configuration"][0]["allow_origins"]) == [  # a set in the provider
        "http://localhost:3000",
        "https://guestbook.example.com",
    ]
    permission = 'module.visitors_api.aws_lambda_permission.this["GET /visitors"]'
    assert stack.values[permission]["principal"] == "apigateway.amazonaws.com"
    for address, values in stack.values.items():
        if "tags" in values:
            assert values["tags"] == {"Project": "guestbook"}, address
    assert stack.output_is_unknown("visitors_url")


def test_a_full_plan_rejects_invalid_inputs_of_every_module(tmp_path, aws_endpoint, plan_provider):
    """The variables-only checks in the module tests are the same rules a full plan applies."""
    root = tmp_path / "src" / "stacks" / "invalid"
    root.mkdir(parents=True)
    (root / "main.tf").write_text(
        textwrap.dedent(
            """
            module "table" {
              source = "../../modules/dynamodb"
              name   = "x"
            }

            module "function" {
              source        = "../../modules/lambda"
              function_name = "bad name"
              package_path  = "/nonexistent/visitor_counter.zip"
              handler       = "visitor_counter.handler.handler"
              runtime       = "python2.7"
            }

            module "api" {
              source = "../../modules/http-api"
              name   = "api"
              routes = {
                "GET visitors" = { function_name = "fn", invoke_arn = "arn:aws:x" }
              }
              cors_allow_origins = ["https://selimcelem.com/"]
            }
            """
        )
    )
    output = plan_error(root, tmp_path / "work", endpoint=aws_endpoint, provider=plan_provider)
    messages = validation_messages(output)
    assert sorted(messages) == sorted(
        ["name", "function_name", "package_path", "runtime", "routes", "cors_allow_origins"]
    )
    for variable, texts in messages.items():
        assert all(text.startswith(f"{variable} ") for text in texts), texts
