# The public endpoint: GET /visitors proxied to the counter function. Wiring only: values come from
# env.hcl through the root include.
include "root" {
  path   = find_in_parent_folders("terragrunt.hcl")
  expose = true
}

terraform {
  source = "${get_repo_root()}/modules/http-api"
}

dependency "lambda" {
  config_path = "../lambda"

  mock_outputs = {
    function_name = "mock-visitor-counter"
    invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mock-visitor-counter/invocations"
  }
  # Mocks for validate only: a prod plan must read the real outputs, never plan against mocks.
  mock_outputs_allowed_terraform_commands = ["validate"]
}

inputs = {
  name                      = include.root.locals.env.api_name
  stage_name                = include.root.locals.env.stage_name
  cors_allow_origins        = include.root.locals.env.cors_allow_origins
  throttling_burst_limit    = include.root.locals.env.throttling_burst_limit
  throttling_rate_limit     = include.root.locals.env.throttling_rate_limit
  access_log_retention_days = include.root.locals.env.log_retention_days

  routes = {
    "GET /visitors" = {
      function_name = dependency.lambda.outputs.function_name
      invoke_arn    = dependency.lambda.outputs.invoke_arn
    }
  }
}
