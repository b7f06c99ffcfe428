# The roles GitHub Actions assumes in the prod account, and the OIDC provider they trust
# (modules/identities). Wiring only: names come from live/prod/env.hcl (through accounts/prod/env.hcl)
# and the root include, the repository from accounts/github.hcl.
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

locals {
  env    = include.root.locals.env.live
  github = read_terragrunt_config(find_in_parent_folders("github.hcl")).locals

  # An adopted deployment may keep its function's role under another name or path
  # (live/prod/adopted.hcl, written by counterstack adopt): the roles must reach that one.
  adopted_file   = "${get_repo_root()}/live/prod/adopted.hcl"
  adopted_lambda = merge({}, [for path in [local.adopted_file] : try(read_terragrunt_config(path).locals.inputs.lambda, {}) if fileexists(path)]...)
}

terraform {
  source = "${get_repo_root()}/modules/identities"
}

inputs = {
  repository       = local.github.repository
  state_bucket     = include.root.locals.state_bucket
  state_key_prefix = "live/${local.env.environment}/"

  stack = {
    environment      = local.env.environment
    table_name       = local.env.table_name
    function_name    = local.env.function_name
    api_name         = local.env.api_name
    lambda_role_name = lookup(local.adopted_lambda, "role_name", null)
    lambda_role_path = lookup(local.adopted_lambda, "role_path", "/")
    project          = include.root.locals.project
  }

  # One role per GitHub environment the workflows name (.github/workflows/*.yml); each
  # environment's AWS_ROLE_ARN is this unit's output role_arns[<environment>].
  roles = {
    # promote.yml, plan-prod: saved plans (-lock=false), no reviewers.
    "prod-plan" = { kind = "plan" }
    # promote.yml, apply-prod: the reviewed plans, after the required reviewers of "prod".
    prod = { kind = "apply" }
    # nightly.yml, drift-prod: plan -lock=false of every prod unit.
    "prod-drift" = { kind = "drift" }
  }
}
