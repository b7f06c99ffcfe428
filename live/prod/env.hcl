# Production: the live site. Names are the seed's (they own existing data and DNS-facing URLs).
locals {
  environment = "prod"
  aws_region  = "eu-west-1"
  # The prod account's 12-digit id: allowed_account_ids and the state bucket name follow it. Required
  # on AWS: while it is empty, every prod run stops at the root's account_guard (and `counterstack
  # promote` refuses) before touching anything. The local account ignores it.
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
  throttling_burst_limit         = 20
  throttling_rate_limit          = 10
  log_retention_days             = 30

  # Alarms (modules/alarms): who is told, by e-mail, when the counter breaks and recovers (each
  # address confirms the mail AWS sends); empty only with allow_no_subscribers = true. The 4xx
  # rate alarm tells of a bot flood hitting the stage's throttle (429s); off while the site is quiet.
  alarm_emails     = []
  create_4xx_alarm = false
  # Prod refuses to plan with nobody to tell: set alarm_emails (or, knowingly, true here).
  allow_no_subscribers = false
}
