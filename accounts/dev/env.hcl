# The dev account: the values of live/dev/env.hcl (one source), read here so that the root
# terragrunt.hcl, which every unit includes and which reads the nearest env.hcl, gives the account
# units the same account guard, region, allowed account and state bucket as the dev units.
locals {
  live = read_terragrunt_config("${get_repo_root()}/live/dev/env.hcl").locals

  environment       = local.live.environment
  aws_region        = local.live.aws_region
  aws_account_id    = local.live.aws_account_id
  allow_any_account = try(local.live.allow_any_account, false)
}
