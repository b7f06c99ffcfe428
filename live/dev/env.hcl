# Development: same shape as prod, distinct names, localhost origins for the demo page.
locals {
  environment = "dev"
  aws_region  = "eu-west-1"
  # The dev account's 12-digit id: allowed_account_ids and the state bucket name follow it. While it
  # is empty, every dev run on AWS stops at the root's account_guard, unless allow_any_account says
  # dev may run in whatever account the credentials name (prod never may). The local account
  # ignores both.
  aws_account_id    = ""
  allow_any_account = false

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

  # Cost and abuse caps. The stage throttling is the cap: at most `throttling_burst_limit` requests
  # at once and `throttling_rate_limit` a second reach the function; the rest get 429 from API
  # Gateway and never run (or bill) it.
  # No reserved concurrency (null), so the first apply works on a new account: its Lambda quota
  # can be 10, and AWS refuses any reservation that leaves the account's unreserved concurrency
  # below its minimum (the whole quota of 10 there; 100 on a 1,000 quota). The trade-off: the
  # function shares the account's pool, so other functions can crowd it out and it is not capped
  # by Lambda itself. On an account with headroom, declare its quota (lambda_concurrency_quota =
  # 1000) and reserve R <= quota - 100 with throttling_burst_limit <= R, so the stage answers 429
  # before Lambda starts throttling (`pytest -m live` checks both).
  reserved_concurrent_executions = null
  throttling_burst_limit         = 10
  throttling_rate_limit          = 5
  log_retention_days             = 7

  # Alarms (modules/alarms): who is told, by e-mail, when the counter breaks and recovers (each
  # address confirms the mail AWS sends); empty only with allow_no_subscribers = true. The 4xx
  # rate alarm tells of a bot flood hitting the stage's throttle (429s); off while the site is quiet.
  alarm_emails     = []
  create_4xx_alarm = false
  # Dev pages nobody: its alarms are for looking at, not for waking anyone.
  allow_no_subscribers = true
}
