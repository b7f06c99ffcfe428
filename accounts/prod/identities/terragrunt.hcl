# The roles GitHub Actions assumes in the prod account, and the OIDC provider they trust
# (modules/identities). Wiring only: the stack's names (from live/prod/env.hcl, read by
# accounts/prod/env.hcl) come from accounts/identities.hcl, which both accounts share; the state
# bucket from the root include; the roles are this account's.
#
# Not a unit of live/prod, on purpose: promotion runs every unit there with the deploy role, and a
# role must never apply its own identity. A person with administrator rights applies this unit, once
# per account and again when the module changes:
#   cd accounts/prod/identities && terragrunt apply --backend-bootstrap
# Its state: the prod state bucket, key accounts/prod/identities/terraform.tfstate, which no role
# made here can read or write (they reach live/prod/ only).
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
    # promote-round.yml, plan (each prod round): saved plans (-lock=false), no reviewers.
    "prod-plan" = { kind = "plan" }
    # promote-round.yml, apply: the reviewed plans, after the required reviewers of "prod"; and
    # promote.yml, bootstrap-prod: the state bucket, the first time.
    prod = { kind = "apply" }
    # nightly.yml, drift-prod: plan -lock=false of every prod unit.
    "prod-drift" = { kind = "drift" }
  }
}
