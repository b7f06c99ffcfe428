# What the account units of modules/identities share (accounts/<account>/identities include it as
# "identities" beside the root, and name the module themselves): the inputs from the account's
# env.hcl, which reads live/<env>/env.hcl, and from accounts/github.hcl. Each unit adds its state
# bucket (the root's) and its roles. Wiring only; evaluated for the including unit, as Terragrunt
# does.
locals {
  env    = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals.live
  github = read_terragrunt_config(find_in_parent_folders("github.hcl")).locals

  # An adopted deployment may keep its function's role under another name or path
  # (live/<env>/adopted.hcl, written by counterstack adopt): the roles must reach that one.
  adopted_file   = "${get_repo_root()}/live/${local.env.environment}/adopted.hcl"
  adopted_lambda = merge({}, [for path in [local.adopted_file] : try(read_terragrunt_config(path).locals.inputs.lambda, {}) if fileexists(path)]...)
}

inputs = {
  repository = local.github.repository
  # The roles reach the environment's state keys only, never the account unit's own.
  state_key_prefix = "live/${local.env.environment}/"

  # The stack's names; its `project` tag is the module's default, the root's project.
  stack = {
    environment      = local.env.environment
    table_name       = local.env.table_name
    function_name    = local.env.function_name
    api_name         = local.env.api_name
    lambda_role_name = lookup(local.adopted_lambda, "role_name", null)
    lambda_role_path = lookup(local.adopted_lambda, "role_path", "/")
  }
}
