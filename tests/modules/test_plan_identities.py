"""modules/identities: given a repository, environments and the stack's names, the plan holds
roles that only their GitHub environment can take, read roles that cannot write, and deploy roles
that reach the stack's own resources and cannot make a role beyond the boundary."""

import json
import re

import pytest
from identities_inputs import (
    ACCOUNT,
    BUCKET,
    DEV,
    IDENTITIES,
    ISSUER,
    PROD,
    PROD_STACK,
    PROVIDER_ARN,
    REGION,
    REPOSITORY,
)

from counterstack.harness.plan import plan_error, validation_messages
from counterstack.harness.plan_batch import Variant

pytestmark = pytest.mark.modules

BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/counterstack-github-prod-boundary"
# The verbs of actions that only read (API Gateway names its actions after HTTP methods).
READ_VERBS = ("Get", "List", "Describe", "GET")
# Actions whose IAM check needs the role to be created, or changed, under the boundary.
BOUNDED = {
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
}
# Statements of the deploy policy on Resource "*", each because AWS offers nothing narrower.
UNSCOPED = {
    "StageAccessLogDelivery": "vended log delivery actions take no resource",
    "CreateAlarmsKey": "a key has no ARN before CreateKey; the request's tags are the condition",
    "ListKeyAliases": "kms:ListAliases lists the account",
    "ListLogGroups": "logs:DescribeLogGroups lists the region's log groups",
    "AlarmsSubscriptions": "SNS's subscription actions take no resource",
    "BoundariesStayAsTheyAre": "a Deny",
}


def planned(package_path: str) -> dict[str, Variant]:
    """This file's input sets (tests/modules/conftest.py plans every file's in one plan)."""
    return {"prod": (IDENTITIES, PROD), "dev": (IDENTITIES, DEV)}


@pytest.fixture
def prod(plans):
    return plans["prod"]


@pytest.fixture
def dev(plans):
    return plans["dev"]


def trust(summary, environment: str) -> dict:
    return json.loads(summary.values[f'aws_iam_role.this["{environment}"]']["assume_role_policy"])


def policy(summary, environment: str) -> dict:
    return json.loads(summary.values[f'aws_iam_role_policy.this["{environment}"]']["policy"])


def allowed(document: dict) -> list[dict]:
    return [s for s in document["Statement"] if s["Effect"] == "Allow"]


def actions(document: dict) -> set[str]:
    return {action for statement in allowed(document) for action in statement["Action"]}


def test_prod_plans_a_provider_three_roles_their_policies_and_one_boundary(prod):
    assert prod.counts == {
        "resources": 8,
        "aws_iam_openid_connect_provider": 1,
        "aws_iam_role": 3,
        "aws_iam_role_policy": 3,
        "aws_iam_policy": 1,
    }
    provider = prod.values["aws_iam_openid_connect_provider.github[0]"]
    assert provider["url"] == f"https://{ISSUER}"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]


def test_a_given_provider_is_reused_not_created(dev):
    assert "aws_iam_openid_connect_provider" not in dev.counts
    assert dev.outputs["oidc_provider_arn"] == PROVIDER_ARN
    assert trust(dev, "dev")["Statement"][0]["Principal"] == {"Federated": PROVIDER_ARN}


@pytest.mark.parametrize("environment", ["prod-plan", "prod", "prod-drift"])
def test_trust_is_string_equals_on_aud_and_the_environments_sub_exactly(prod, environment):
    assert trust(prod, environment) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubEnvironment",
                "Effect": "Allow",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": PROVIDER_ARN},
                "Condition": {
                    "StringEquals": {
                        f"{ISSUER}:aud": "sts.amazonaws.com",
                        f"{ISSUER}:sub": f"repo:{REPOSITORY}:environment:{environment}",
                    }
                },
            }
        ],
    }


def test_roles_are_named_for_their_environment_and_their_arns_are_outputs(prod, dev):
    assert prod.outputs["role_names"] == {
        env: f"counterstack-github-{env}" for env in ("prod-plan", "prod", "prod-drift")
    }
    assert prod.output_is_unknown("role_arns")  # IAM answers the ARN on create
    assert dev.outputs["role_names"] == {"dev": "counterstack-github-dev", "nightly": "nightly-e2e"}
    assert dev.outputs["role_kinds"] == {"dev": "deploy", "nightly": "nightly"}


@pytest.mark.parametrize("environment", ["prod-plan", "prod-drift"])
def test_read_roles_grant_no_action_that_writes(prod, environment):
    document = policy(prod, environment)
    writes = sorted(a for a in actions(document) if not a.split(":")[1].startswith(READ_VERBS))
    assert writes == []
    assert all("*" not in action for action in actions(document))


def test_read_roles_read_their_state_and_nothing_else_of_the_bucket(prod):
    document = policy(prod, "prod-plan")
    s3 = [s for s in allowed(document) if any(a.startswith("s3:") for a in s["Action"])]
    objects = [s for s in s3 if any("/" in r.removeprefix("arn:aws:s3:::") for r in s["Resource"])]
    assert objects == [
        {
            "Sid": "StateRead",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{BUCKET}/live/prod/*"],
        }
    ]


def test_deploy_writes_state_and_releases_only_the_lock_file(prod):
    document = policy(prod, "prod")
    by_sid = {s["Sid"]: s for s in allowed(document)}
    assert by_sid["StateWrite"]["Resource"] == [f"arn:aws:s3:::{BUCKET}/live/prod/*"]
    assert by_sid["StateLockRelease"] == {
        "Sid": "StateLockRelease",
        "Effect": "Allow",
        "Action": ["s3:DeleteObject"],
        "Resource": [f"arn:aws:s3:::{BUCKET}/live/prod/*.tflock"],
    }


def test_deploy_role_creates_and_changes_roles_only_under_the_boundary(prod):
    document = policy(prod, "prod")
    granting = [s for s in allowed(document) if BOUNDED & set(s["Action"])]
    assert len(granting) == 1, granting
    statement = granting[0]
    assert set(statement["Action"]) == BOUNDED
    assert statement["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}}
    assert statement["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/visitorCounter"]
    assert prod.outputs["permissions_boundary_arn"] is not None


def test_deploy_role_passes_only_the_functions_role_and_only_to_lambda(prod):
    document = policy(prod, "prod")
    passing = [s for s in allowed(document) if "iam:PassRole" in s["Action"]]
    assert passing == [
        {
            "Sid": "PassFunctionRoleToLambda",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [f"arn:aws:iam::{ACCOUNT}:role/visitorCounter"],
            "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
        }
    ]


def test_the_boundary_cannot_be_loosened_or_removed(prod):
    document = policy(prod, "prod")
    denied = {a for s in document["Statement"] if s["Effect"] == "Deny" for a in s["Action"]}
    assert {"iam:CreatePolicyVersion", "iam:DeleteRolePermissionsBoundary"} <= denied
    assert not denied & actions(document)
    assert all(not a.endswith("*") for a in actions(document))


def test_deploy_policy_reaches_the_stacks_names_and_star_only_where_aws_has_nothing_narrower(prod):
    statements = allowed(policy(prod, "prod"))
    unscoped = {s["Sid"] for s in statements if "*" in s["Resource"]}
    assert unscoped <= set(UNSCOPED), unscoped - set(UNSCOPED)
    resources = {r for s in statements for r in s["Resource"]}
    prefix = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:"
    assert prefix.format("dynamodb") + "table/visitor-counter" in resources
    assert prefix.format("lambda") + "function:visitorCounter" in resources
    assert prefix.format("logs") + "log-group:/aws/lambda/visitorCounter" in resources
    assert prefix.format("logs") + "log-group:/aws/apigateway/visitor-counter" in resources
    assert prefix.format("sns") + "visitor-counter-alarms" in resources
    assert prefix.format("cloudwatch") + "alarm:visitor-counter-*" in resources
    assert prefix.format("kms") + "alias/visitor-counter-alarms" in resources


def test_deploy_policy_holds_the_stage_log_delivery_actions(prod):
    assert {"logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:GetLogDelivery"} <= actions(
        policy(prod, "prod")
    )


def test_nightly_reaches_only_the_ephemeral_prefix_and_its_own_boundary(dev):
    statements = allowed(policy(dev, "nightly"))
    named = [r for s in statements for r in s["Resource"] if re.search(r":(table|function)", r)]
    assert named and all(re.search(r":(table/|function:)ct-\*", r) for r in named), named
    bounded = [s for s in statements if "iam:CreateRole" in s["Action"]]
    assert [s["Condition"] for s in bounded] == [
        {
            "StringEquals": {
                "iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/"
                "counterstack-github-nightly-boundary"
            }
        }
    ]


def test_a_subject_of_another_repository_is_refused_at_plan_naming_the_role(
    tmp_path, aws_endpoint, plan_provider
):
    inputs = {**PROD, "roles": {"prod": {"kind": "apply", "subject": "repo:a/b:environment:prod"}}}
    output = plan_error(
        IDENTITIES, tmp_path, endpoint=aws_endpoint, provider=plan_provider, **inputs
    )
    assert 'roles["prod"].subject must name the repository octo-org/visitor-counter' in " ".join(
        output.split()
    )


SUB = "repo:octo-org/visitor-counter:environment:prod"
REPO_SUB = "repo:octo-org/visitor-counter"


def subject(value: str) -> dict:
    """PROD whose prod role trusts the sub `value`."""
    return {**PROD, "roles": {"prod": {"kind": "apply", "subject": value}}}


INVALID = {  # case: (inputs, the variable its error must name)
    "sub-wildcard": (subject(SUB[:-4] + "*"), "roles"),
    "sub-whole-repo": (subject(f"{REPO_SUB}:*"), "roles"),
    "sub-question-mark": (subject(SUB[:-1] + "?"), "roles"),
    "sub-branch": (subject(f"{REPO_SUB}:ref:refs/heads/main"), "roles"),
    "sub-pull-request": (subject(f"{REPO_SUB}:pull_request"), "roles"),
    "environment-wildcard": ({**PROD, "roles": {"prod*": {"kind": "apply"}}}, "roles"),
    "environment-ref": ({**PROD, "roles": {"ref:refs/heads/main": {"kind": "apply"}}}, "roles"),
    "no-roles": ({**PROD, "roles": {}}, "roles"),
    "unknown-kind": ({**PROD, "roles": {"prod": {"kind": "admin"}}}, "roles"),
    "repository-empty": ({**PROD, "repository": ""}, "repository"),  # accounts/github.hcl's
    "repository-wildcard": ({**PROD, "repository": "octo-org/*"}, "repository"),
    "repository-owner-only": ({**PROD, "repository": "octo-org"}, "repository"),
    "repository-url": ({**PROD, "repository": f"https://github.com/{REPOSITORY}"}, "repository"),
    "repository-three-parts": ({**PROD, "repository": f"{REPOSITORY}/extra"}, "repository"),
    "provider-of-another-issuer": (
        {**PROD, "oidc_provider_arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/example.com"},
        "oidc_provider_arn",
    ),
    "bucket-uppercase": ({**PROD, "state_bucket": "State-Bucket"}, "state_bucket"),
    "key-prefix-wildcard": ({**PROD, "state_key_prefix": "live/*/"}, "state_key_prefix"),
    "stack-name-wildcard": ({**PROD, "stack": {**PROD_STACK, "table_name": "visitor-*"}}, "stack"),
}
VALID = {
    "explicit-subject": subject(SUB),
    "reused-provider": DEV,
}


@pytest.fixture(scope="module")
def outcomes(judged):
    """Every case below judged by one plan: its validation errors, "" if it passes."""
    return judged(IDENTITIES, {case: inputs for case, (inputs, _) in INVALID.items()} | VALID)


@pytest.mark.parametrize("case", INVALID)
def test_invalid_input_is_rejected_naming_the_variable(outcomes, case):
    variable = INVALID[case][1]
    messages = validation_messages(outcomes[case])
    assert list(messages) == [variable], outcomes[case]
    assert all(message.startswith(f"{variable} ") for message in messages[variable])


@pytest.mark.parametrize("case", VALID)
def test_valid_inputs_pass_validation(outcomes, case):
    assert outcomes[case] == ""


def readme_statements(heading: str) -> dict[str, set[str]]:
    """The statements of one policy table of the README: actions by statement name (a row
    that says "as in Read" stands for the Read table's row of the same name)."""
    readme = (IDENTITIES / "README.md").read_text()
    section = readme.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    table = {}
    for row in rows[1:]:  # the header row, then (after the |---| line) the statements
        name, listed = [cell.strip() for cell in row.strip("|").split(" | ")][:2]
        name = name.removesuffix(" (Deny)")
        if listed == "as in Read":
            table[name] = readme_statements(READ_TABLE)[name]
        else:
            table[name] = set(listed.split(", "))
    return table


READ_TABLE = "Read (plan, drift)"


@pytest.mark.parametrize(
    ("heading", "environment"), [(READ_TABLE, "prod-plan"), ("Deploy (deploy, apply)", "prod")]
)
def test_the_readmes_policy_tables_are_the_planned_policies(prod, heading, environment):
    planned_statements = {
        s["Sid"]: set(s["Action"]) for s in policy(prod, environment)["Statement"]
    }
    assert readme_statements(heading) == planned_statements
