"""The `provider "aws"` block that points Terraform at the local account.

Every service the stack and its state use gets the account's endpoint; credentials are fake and
the checks that would reach the real AWS (credential validation, EC2 metadata, region list) are
skipped. `skip_requesting_account_id` is deliberately NOT set: the provider then asks STS for the
account id (moto answers 123456789012), so `execution_arn` and every ARN carry a real account —
without it they come out with an empty account and a permission's `source_arn` could pass here
while AWS would reject it.
https://registry.terraform.io/providers/hashicorp/aws/latest/docs/guides/custom-service-endpoints
"""

from __future__ import annotations

from counterstack.hcl_syntax import hcl_string

# Endpoint keys of hashicorp/aws 5.x for the services the stack and its S3 state touch.
# (`logs` is the current name of CloudWatch Logs; its alias `cloudwatchlogs` may not be set too.)
ENDPOINT_SERVICES = (
    "apigateway",
    "apigatewayv2",
    "cloudwatch",  # metric alarms (modules/alarms)
    "dynamodb",
    "iam",
    "kms",  # DynamoDB server-side encryption: the provider describes the table's KMS key
    "lambda",
    "logs",
    "s3",
    "sns",  # the alarms' topic
    "sts",
)
FAKE_ACCESS_KEY = "test"
FAKE_SECRET_KEY = "test"


def provider_override(
    endpoint: str | None, region: str | None, default_tags: dict | None = None
) -> str:
    """HCL for a `*_override.tf` (or a root's only) provider block aimed at `endpoint`.

    `endpoint=None` leaves out the `endpoints` block: the harness then gives Terraform the
    endpoint as AWS_ENDPOINT_URL (`terraform_cli.ENDPOINT_ENV`), which sends every service there
    and spares the provider ~2 s of validating the block on each command.

    An override file merges into the root's own `provider "aws"` block, so the root keeps
    whatever else it configures (`region=None` keeps the root's own region); a root without one
    needs this as a plain `.tf` file instead. The one renderer of this block for the CLI, the
    harness and tests; the Terragrunt root renders the same from its own `local_services` list,
    which a test holds equal to ENDPOINT_SERVICES.
    """
    lines = ['provider "aws" {']
    if region is not None:
        lines.append(f"  region                      = {hcl_string(region)}")
    lines += [
        f"  access_key                  = {hcl_string(FAKE_ACCESS_KEY)}",
        f"  secret_key                  = {hcl_string(FAKE_SECRET_KEY)}",
        "  skip_credentials_validation = true",
        "  skip_metadata_api_check     = true",
        "  skip_region_validation      = true",
        "  s3_use_path_style           = true",
    ]
    if endpoint is not None:
        width = max(len(name) for name in ENDPOINT_SERVICES)
        lines += ["", "  endpoints {"]
        value = hcl_string(endpoint)
        lines += [f"    {name.ljust(width)} = {value}" for name in ENDPOINT_SERVICES]
        lines.append("  }")
    if default_tags:
        lines += ["", *default_tags_lines(default_tags)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def default_tags_lines(tags: dict) -> list[str]:
    """The `default_tags` block of a provider, indented for its body."""
    entries = [
        f"      {hcl_string(str(key))} = {hcl_string(str(value))}"
        for key, value in sorted(tags.items())
    ]
    return ["  default_tags {", "    tags = {", *entries, "    }", "  }"]
