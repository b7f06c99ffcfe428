# The roles GitHub Actions assumes in the dev account, and the OIDC provider they trust
# (modules/identities). Wiring only: the stack's names (from live/dev/env.hcl, read by
# accounts/dev/env.hcl) come from accounts/identities.hcl, which both accounts share; the state
# bucket from the root include; the roles are this account's.
#
# Not a unit of live/dev, on purpose: promotion runs every unit there with the deploy role, and a
# role must never apply its own identity. A person with administrator rights applies this unit, once
# per account and again when the module changes:
#   cd accounts/dev/identities && terragrunt apply --backend-bootstrap
# Its state: the dev state bucket, key accounts/dev/identities/terraform.tfstate, which no role
# made here can read or write (they reach live/dev/ only).
include "root" {
  path   = find_in_parent_folders("terragrunt.hcl")
  expose = true
}

include "identities" {
  path = find_in_parent_folders("identities.hcl")
}

terraform {
  source = "${get_repo_root()}/modules/identities"
}

inputs = {
  state_bucket = include.root.locals.state_bucket

  # One role per GitHub environment the workflows name (.github/workflows/*.yml); each
  # environment's AWS_ROLE_ARN is this unit's output role_arns[<environment>].
  roles = {
    # promote.yml, apply-dev: plans and applies dev.
    dev = { kind = "deploy" }
    # nightly.yml, e2e-aws and account-aws: ephemeral ct- stacks and the sweep (the test account
    # is the dev account here; a test account of its own gets a unit like this one). e2e-aws asks
    # for a two-hour session (role-duration-seconds: the suite plus the sweep).
    nightly = { kind = "nightly", max_session_duration = 7200 }
  }
}
