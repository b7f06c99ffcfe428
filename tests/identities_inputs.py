"""The input sets of modules/identities that its plan tests and its checkov plan scan share:
the prod account's roles (plan, apply, drift; the provider created) and the dev account's
(deploy, nightly; an existing provider reused), with the names live/<env>/env.hcl gives."""

from counterstack.paths import MODULES_DIR

IDENTITIES = MODULES_DIR / "identities"
ACCOUNT = "123456789012"  # moto's account
REGION = "eu-west-1"
REPOSITORY = "octo-org/visitor-counter"
ISSUER = "token.actions.githubusercontent.com"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"
BUCKET = f"counterstack-tfstate-{ACCOUNT}-prod"
PROD_STACK = {
    "environment": "prod",
    "table_name": "visitor-counter",
    "function_name": "visitorCounter",
    "api_name": "visitor-counter",
}
PROD = {
    "repository": REPOSITORY,
    "state_bucket": BUCKET,
    "stack": PROD_STACK,
    "roles": {
        "prod-plan": {"kind": "plan"},
        "prod": {"kind": "apply"},
        "prod-drift": {"kind": "drift"},
    },
}
DEV = {
    "repository": REPOSITORY,
    "oidc_provider_arn": PROVIDER_ARN,  # the account already has one: reused
    "state_bucket": f"counterstack-tfstate-{ACCOUNT}-dev",
    "stack": {**PROD_STACK, "environment": "dev", "table_name": "visitor-counter-dev"},
    "roles": {"dev": {"kind": "deploy"}, "nightly": {"kind": "nightly", "name": "nightly-e2e"}},
}
