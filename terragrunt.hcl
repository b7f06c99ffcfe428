# Root Terragrunt configuration, shared by every unit under live/.
#
# This file is *included* by units (include "root" { path = find_in_parent_folders("terragrunt.hcl") });
# it is never a unit itself: it has no terraform.source, and `terragrunt run --all` is always run from
# an environment folder (live/dev, live/prod), so discovery never reaches this folder.
# The account units (accounts/<account>/identities) include it too, run from their own folder: their
# env.hcl reads live/<env>/env.hcl, so they get that environment's account guard and state bucket.
# Current Terragrunt docs call this file root.hcl; this project's layout keeps terragrunt.hcl
# (see docs/terragrunt.md, "Why the root file is `terragrunt.hcl`").
#
# Switch: COUNTERSTACK_ENDPOINT=http://127.0.0.1:4566 points provider and backend at the offline
# ephemeral account (`counterstack account --port 4566`) instead of AWS. Unset, everything is AWS.

# use_lockfile (S3 native state locking, below) is experimental in Terraform 1.10 and generally
# available from 1.11; older releases reject the setting. Modules keep their own, lower floor.
terraform_version_constraint = ">= 1.11"

# The Terragrunt release line mise.toml installs (1.x: `run --all`, `--backend-bootstrap`); an older
# or a future major release stops here instead of reading this file differently.
terragrunt_version_constraint = ">= 1.0, < 2.0"

locals {
  # Per-environment values: live/<env>/env.hcl, found from the unit that includes this file.
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals

  project  = "visitor-counter"
  endpoint = get_env("COUNTERSTACK_ENDPOINT", "")
  is_local = local.endpoint != ""

  # The aws provider every unit runs, exactly: the modules admit a range (~> 5.100), the live units
  # pin one release so dev and prod plan with the same build. Each unit's .terraform.lock.hcl locks
  # it (scripts/lock-providers writes them; tests/live/test_provider_locks.py checks them offline).
  aws_provider_version = "5.100.0"

  # The local account is moto's default account unless told otherwise.
  local_account_id = get_env("COUNTERSTACK_LOCAL_ACCOUNT_ID", "123456789012")

  # Account that owns the state bucket: pinned in env.hcl, else asked of STS. HCL evaluates both
  # arms of a conditional, so the STS call sits in a filtered for-expression: it runs only when the
  # filter lets it through (AWS target, no pinned id), never in local mode. Reading account_guard
  # (always empty once evaluated) makes the guard speak before any STS call can fail.
  account_id = local.is_local ? local.local_account_id : (
    local.env.aws_account_id != "" ? local.env.aws_account_id : join("", [
      for target in ["aws"] : get_aws_account_id()
      if !local.is_local && local.env.aws_account_id == "" && length(local.account_guard) == 0
    ])
  )

  # The environment's state bucket, in its account; the account units (accounts/<account>/identities)
  # keep their state there too, under their own key, and hand the name to the roles they make.
  state_bucket = "counterstack-tfstate-${local.account_id}-${local.env.environment}"

  # Every environment names its account in env.hcl: without it, credentials of another account
  # could apply it, and its state bucket name would follow them. A non-protected one (dev) may
  # instead say `allow_any_account = true`: the credentials' account, whichever it is; prod never.
  # Terragrunt evaluates every local before it runs anything, so the run stops here with this one
  # line. (Local mode is exempt: the local account is the only one there.)
  account_guard = [
    for environment in [local.env.environment] : run_cmd(
      "sh", "-c",
      "echo 'live/${environment}/env.hcl: aws_account_id is empty: set the ${environment} account id (12 digits) before planning ${environment}${environment == "prod" ? "" : ", or allow_any_account = true to use the account of the credentials"}' >&2; exit 1",
    ) if !local.is_local && local.env.aws_account_id == "" && (environment == "prod" || !try(local.env.allow_any_account, false))
  ]

  # Provider settings that only exist in local mode. Every endpoint the stack (and the provider's own
  # account lookup) touches goes to the one local port; fake credentials; no EC2 metadata, no
  # credential or region checks. skip_requesting_account_id stays false on purpose: the modules read
  # the account id (aws_caller_identity) and the local account answers STS.
  # (`logs` is hashicorp/aws 5.x's name for CloudWatch Logs; its alias cloudwatchlogs may not be set too.)
  # The same list as counterstack.local.provider.ENDPOINT_SERVICES (HCL cannot import it; a test
  # holds them equal). `cloudwatch` and `sns` serve the alarms unit; the logs are `logs`.
  local_services = [
    "apigateway", "apigatewayv2", "cloudwatch", "dynamodb", "iam", "kms", "lambda", "logs", "s3",
    "sns", "sts",
  ]

  # Backend settings that only exist in local mode. force_path_style is the name Terragrunt's own S3
  # client reads (Terraform >= 1.6 accepts it with a deprecation warning; setting use_path_style as
  # well is an error). The skip_bucket_* keys are Terragrunt-only bootstrap knobs, not sent to
  # Terraform.
  local_backend_settings = {
    endpoints = {
      s3  = local.endpoint
      sts = local.endpoint
      iam = local.endpoint
    }
    access_key                         = "test"
    secret_key                         = "test"
    force_path_style                   = true
    skip_credentials_validation        = true
    skip_region_validation             = true
    skip_metadata_api_check            = true
    skip_requesting_account_id         = true
    skip_s3_checksum                   = true
    skip_bucket_versioning             = true
    skip_bucket_ssencryption           = true
    skip_bucket_root_access            = true
    skip_bucket_enforced_tls           = true
    skip_bucket_public_access_blocking = true
    skip_bucket_accesslogging          = true
    disable_bucket_update              = true
  }
  # A conditional between objects of different shapes is a type error in HCL; a filtered
  # for-expression gives the settings in local mode and an empty object on AWS.
  backend_overrides = { for key, value in local.local_backend_settings : key => value if local.is_local }

  # Common inputs of every unit. Every module has a `tags` input; the unit tag says which unit made
  # a resource (default_tags already carry project, environment, managed-by).
  common_inputs = {
    tags = {
      unit = path_relative_to_include()
    }
  }

  # Identity inputs of an adopted deployment (role name and path, permission statement id, ...),
  # generated by `counterstack adopt --write` into live/<env>/adopted.hcl as
  # locals { inputs = { "<unit folder>" = { <input> = <value> } } }. The file is optional and HCL
  # evaluates both arms of a conditional, so it is read in a filtered for-expression: only when it
  # exists. The unit's own map is picked by its folder name.
  adopted_file   = "${dirname(find_in_parent_folders("env.hcl"))}/adopted.hcl"
  adopted_inputs = merge({}, [for path in [local.adopted_file] : read_terragrunt_config(path).locals.inputs if fileexists(path)]...)
  unit_adopted_inputs = merge({}, [
    for unit, values in local.adopted_inputs : values if unit == basename(get_terragrunt_dir())
  ]...)
}

remote_state {
  backend = "s3"

  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }

  config = merge(
    {
      bucket       = local.state_bucket
      key          = "${path_relative_to_include()}/terraform.tfstate"
      region       = local.env.aws_region
      encrypt      = true
      use_lockfile = true
    },
    local.backend_overrides,
  )
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<EOF
provider "aws" {
  region = "${local.env.aws_region}"
  # Only the account whose state bucket this unit uses (env.hcl's, the local one, or the
  # credentials' own when dev allows any account): credentials of any other account are refused.
  allowed_account_ids = ["${local.account_id}"]
%{if local.is_local~}

  # Local mode (COUNTERSTACK_ENDPOINT): the offline account, fake credentials, no AWS checks.
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true

  endpoints {
%{for service in local.local_services~}
    ${service} = "${local.endpoint}"
%{endfor~}
  }
%{endif~}

  default_tags {
    tags = {
      project      = "${local.project}"
      environment  = "${local.env.environment}"
      "managed-by" = "terragrunt"
    }
  }
}
EOF
}

# The exact provider release over the modules' range, in an override file (a second
# required_providers entry for aws would be a duplicate; an override replaces its constraint).
generate "provider_version" {
  path      = "provider_version_override.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<EOF
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "${local.aws_provider_version}"
    }
  }
}
EOF
}

# Common inputs and the unit's adopted identity inputs, merged under every unit's own inputs.
# counterstack/terragrunt/compose.py evaluates it for each unit (any layout; it must hand the unit
# its adopted.hcl map), and tests/live check that Terraform evaluates it the same way.
inputs = merge(local.common_inputs, local.unit_adopted_inputs)
