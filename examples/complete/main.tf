locals {
  # A variable default cannot use path.module; fall back to the repository's build output here.
  package_path = coalesce(var.package_path, "${path.module}/../../build/visitor_counter.zip")

  tags = merge({ Stack = var.name_prefix }, var.tags)

  # The function's timeout; the alarms read it back from the lambda module (its timeout output).
  function_timeout = 10
}

module "dynamodb" {
  source = "../../modules/dynamodb"

  name                = "${var.name_prefix}-visitors"
  deletion_protection = var.deletion_protection
  tags                = local.tags
}

module "lambda" {
  source = "../../modules/lambda"

  function_name = "${var.name_prefix}-visitor-counter"
  package_path  = local.package_path
  handler       = "visitor_counter.handler.handler"
  runtime       = "python3.12"
  timeout       = local.function_timeout

  environment_variables = {
    TABLE_NAME = module.dynamodb.name
  }

  policy_statements = [
    {
      actions   = ["dynamodb:UpdateItem"]
      resources = [module.dynamodb.arn]
    },
  ]

  reserved_concurrent_executions = var.reserved_concurrent_executions
  tags                           = local.tags
}

module "http_api" {
  source = "../../modules/http-api"

  name = "${var.name_prefix}-visitors-api"

  routes = {
    "GET /visitors" = {
      function_name = module.lambda.function_name
      invoke_arn    = module.lambda.invoke_arn
    }
  }

  cors_allow_origins     = var.cors_allow_origins
  throttling_burst_limit = var.throttling_burst_limit
  throttling_rate_limit  = var.throttling_rate_limit
  tags                   = local.tags
}

module "alarms" {
  source = "../../modules/alarms"

  name             = var.name_prefix
  function_name    = module.lambda.function_name
  function_timeout = module.lambda.timeout
  api_id           = module.http_api.api_id
  stage_name       = "prod"
  alarm_emails     = var.alarm_emails
  # An example stack: with no alarm_emails given, nobody is to be told.
  allow_no_subscribers = true
  create_4xx_alarm     = var.create_4xx_alarm
  # The tests and `counterstack up` pass one key per account: a new key costs ~12 s of the
  # provider's waiters on every apply. Null (the default): the module makes its own.
  kms_master_key_id = var.alarms_kms_master_key_id
  tags              = local.tags
}
