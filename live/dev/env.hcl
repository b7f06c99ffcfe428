# Development: same shape as prod, distinct names, localhost origins for the demo page.
locals {
  environment = "dev"
  aws_region  = "eu-west-1"
  # Pin the account (allowed_account_ids + state bucket name) by setting its 12-digit id here;
  # empty means "the account of the current credentials".
  aws_account_id = ""

  table_name    = "visitor-counter-dev"
  function_name = "visitorCounter-dev"
  api_name      = "visitor-counter-dev"
  stage_name    = "dev"

  cors_allow_origins = [
    "https://selimcelem.com",
    "https://www.selimcelem.com",
    "http://localhost:8000",
    "http://localhost:8080",
    "http://127.0.0.1:8000",
  ]

  # Protections off: dev is rebuilt at will.
  deletion_protection    = false
  point_in_time_recovery = true

  # Cost and abuse caps.
  reserved_concurrent_executions = 5
  throttling_burst_limit         = 10
  throttling_rate_limit          = 5
  log_retention_days             = 7
}
