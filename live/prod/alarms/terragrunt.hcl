# Alarms on the counter: the function's errors, throttles and duration, the stage's 5xx (and
# optionally 4xx rate and p99 latency), notifying an encrypted SNS topic on ALARM and OK. Wiring
# only: values come from env.hcl through the root include.
include "root" {
  path   = find_in_parent_folders("terragrunt.hcl")
  expose = true
}

terraform {
  source = "${get_repo_root()}/modules/alarms"
}

dependency "lambda" {
  config_path = "../lambda"

  mock_outputs = {
    function_name = "mock-visitor-counter"
    timeout       = 10
  }
  # Mocks for validate only: a prod plan must read the real outputs, never plan against mocks.
  mock_outputs_allowed_terraform_commands = ["validate"]
}

dependency "http_api" {
  config_path = "../http-api"

  mock_outputs = {
    api_id = "mockapi123"
  }
  # Mocks for validate only: a prod plan must read the real outputs, never plan against mocks.
  mock_outputs_allowed_terraform_commands = ["validate"]
}

inputs = {
  name             = include.root.locals.env.api_name
  function_name    = dependency.lambda.outputs.function_name
  function_timeout = dependency.lambda.outputs.timeout
  api_id           = dependency.http_api.outputs.api_id
  stage_name       = include.root.locals.env.stage_name
  alarm_emails     = include.root.locals.env.alarm_emails
  allow_no_subscribers = include.root.locals.env.allow_no_subscribers
  create_4xx_alarm = include.root.locals.env.create_4xx_alarm
}
