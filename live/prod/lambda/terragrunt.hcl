# The counter function: a deterministic zip of lambda/visitor_counter, allowed exactly one action on
# exactly one table. Wiring only: values come from env.hcl through the root include.
include "root" {
  path   = find_in_parent_folders("terragrunt.hcl")
  expose = true
}

locals {
  # Relative to the directory Terraform runs in (this unit's copy of modules/lambda in its
  # .terragrunt-cache), where the before_hook builds it: the function's `filename` in state is the
  # same from every checkout, so a laptop and a CI runner plan no change for the same code. Each
  # unit has its own working directory, so dev and prod builds never write the same file.
  package_path = "visitor_counter.zip"
}

terraform {
  source = "${get_repo_root()}/modules/lambda"

  # Same sources, same bytes: the zip's hash only changes when the code does, so plans stay quiet.
  # No working_dir: hooks of Terraform commands run in the module's working directory.
  before_hook "build_package" {
    commands = ["init", "validate", "plan", "apply", "destroy", "refresh", "import"]
    execute  = ["counterstack", "build", "--output", local.package_path]
  }
}

dependency "dynamodb" {
  config_path = "../dynamodb"

  mock_outputs = {
    name = "mock-visitor-counter"
    arn  = "arn:aws:dynamodb:eu-west-1:123456789012:table/mock-visitor-counter"
  }
  # Mocks for validate only: a prod plan must read the real outputs, never plan against mocks.
  mock_outputs_allowed_terraform_commands = ["validate"]
}

inputs = {
  function_name                  = include.root.locals.env.function_name
  package_path                   = local.package_path
  handler                        = "visitor_counter.handler.handler"
  reserved_concurrent_executions = include.root.locals.env.reserved_concurrent_executions
  log_retention_days             = include.root.locals.env.log_retention_days

  # Where the handler counts (COUNTER_KEY, COUNTER_ATTRIBUTE; default item id = "visitors",
  # attribute count) comes from adopted.hcl when `counterstack adopt --write` found the count of an
  # adopted table elsewhere; TABLE_NAME is always the table's.
  environment_variables = merge(
    lookup(include.root.locals.unit_adopted_inputs, "environment_variables", {}),
    { TABLE_NAME = dependency.dynamodb.outputs.name },
  )

  policy_statements = [
    {
      actions   = ["dynamodb:UpdateItem"]
      resources = [dependency.dynamodb.outputs.arn]
    },
  ]
}
