# Production: the live site. Names are the seed's (they own existing data and DNS-facing URLs).
locals {
  environment = "prod"
  aws_region  = "eu-west-1"
  # Pin the account (allowed_account_ids + state bucket name) by setting its 12-digit id here;
  # empty means "the account of the current credentials".
  aws_account_id = ""

  table_name    = "visitor-counter"
  function_name = "visitorCounter"
  api_name      = "visitor-counter"
  stage_name    = "prod"

  cors_allow_origins = [
    "https://selimcelem.com",
    "https://www.selimcelem.com",
  ]

  # Protections: the counter's history survives a stray destroy.
  deletion_protection    = true
  point_in_time_recovery = true

  # Cost and abuse caps.
  reserved_concurrent_executions = 10
  throttling_burst_limit         = 20
  throttling_rate_limit          = 10
  log_retention_days             = 30
}
