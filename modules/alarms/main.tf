data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"
  # Composed rather than read from the topic, so its policy is known (and reviewable) at plan time.
  topic_name = "${var.name}-alarms"
  topic_arn  = "arn:${local.partition}:sns:${data.aws_region.current.name}:${local.account_id}:${local.topic_name}"

  function_dimensions = { FunctionName = var.function_name }
  stage_dimensions    = { ApiId = var.api_id, Stage = var.stage_name }

  # Every alarm the module can make, keyed by the suffix of its name. Statistics follow what the
  # metric means: 5xx/Errors/Throttles are counts (Sum); 4xx is 0 or 1 per request, so its
  # Average is the error rate; Duration is worst-case (Maximum); Latency is a percentile.
  definitions = {
    "lambda-errors" = {
      create      = true
      description = "The function ${var.function_name} raised errors (Lambda Errors, Sum >= ${var.errors_threshold})."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = local.function_dimensions
      statistic   = "Sum"
      percentile  = null
      comparison  = "GreaterThanOrEqualToThreshold"
      threshold   = var.errors_threshold
    }
    "lambda-throttles" = {
      create      = true
      description = "Lambda throttled ${var.function_name} (Throttles, Sum >= ${var.throttles_threshold}): concurrency is exhausted."
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      dimensions  = local.function_dimensions
      statistic   = "Sum"
      percentile  = null
      comparison  = "GreaterThanOrEqualToThreshold"
      threshold   = var.throttles_threshold
    }
    "lambda-duration" = {
      create      = true
      description = "An invocation of ${var.function_name} ran longer than ${var.duration_threshold_percent}% of its ${var.function_timeout} s timeout (Duration, Maximum)."
      namespace   = "AWS/Lambda"
      metric      = "Duration"
      dimensions  = local.function_dimensions
      statistic   = "Maximum"
      percentile  = null
      comparison  = "GreaterThanThreshold"
      threshold   = var.function_timeout * 1000 * var.duration_threshold_percent / 100
    }
    "api-5xx" = {
      create      = true
      description = "The API ${var.api_id} stage ${var.stage_name} answered server errors (5xx, Sum >= ${var.api_5xx_threshold}): the counter is not counting."
      namespace   = "AWS/ApiGateway"
      metric      = "5xx"
      dimensions  = local.stage_dimensions
      statistic   = "Sum"
      percentile  = null
      comparison  = "GreaterThanOrEqualToThreshold"
      threshold   = var.api_5xx_threshold
    }
    "api-4xx" = {
      create      = var.create_4xx_alarm
      description = "More than ${var.api_4xx_rate_threshold * 100}% of the requests to ${var.api_id} stage ${var.stage_name} got a client error (4xx, Average); throttled requests (429) count."
      namespace   = "AWS/ApiGateway"
      metric      = "4xx"
      dimensions  = local.stage_dimensions
      statistic   = "Average"
      percentile  = null
      comparison  = "GreaterThanThreshold"
      threshold   = var.api_4xx_rate_threshold
    }
    "api-latency" = {
      create      = var.create_latency_alarm
      description = "The API ${var.api_id} stage ${var.stage_name} answers slowly (Latency p99 > ${var.latency_p99_threshold} ms)."
      namespace   = "AWS/ApiGateway"
      metric      = "Latency"
      dimensions  = local.stage_dimensions
      statistic   = null
      percentile  = "p99"
      comparison  = "GreaterThanThreshold"
      threshold   = var.latency_p99_threshold
      # One cold start is the p99 of a quiet minute: the latency alarm needs M of N periods of its
      # own and ignores periods with too few requests for a p99 to mean anything.
      evaluation_periods  = var.latency_evaluation_periods
      datapoints_to_alarm = var.latency_datapoints_to_alarm
    }
  }

  # The count alarms share evaluation_periods and datapoints_to_alarm; an alarm may have its own.
  shared_periods = { evaluation_periods = var.evaluation_periods, datapoints_to_alarm = var.datapoints_to_alarm }
  alarms         = { for key, alarm in local.definitions : key => merge(local.shared_periods, alarm) if alarm.create }

  # CloudWatch publishes to an encrypted topic only with a key whose policy lets it: the AWS
  # managed key alias/aws/sns does not, so alarms on a topic encrypted with it never arrive.
  create_kms_key = var.kms_master_key_id == null
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "Encrypts the SNS topic ${var.name}-alarms; CloudWatch alarms may use it."
  enable_key_rotation     = true
  deletion_window_in_days = 7

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # What the account (and IAM policies it writes) may do with the key: manage it, use it.
        # Named one by one rather than kms:*; in a key policy, Resource "*" is this key.
        Sid       = "AccountAdministersAndUsesTheKey"
        Effect    = "Allow"
        Principal = { AWS = local.root_arn }
        Action = [
          "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
          "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:RotateKeyOnDemand",
          "kms:ListKeyRotations", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource",
          "kms:UpdateKeyDescription", "kms:EnableKey", "kms:DisableKey", "kms:ScheduleKeyDeletion",
          "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias",
          "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant", "kms:Encrypt", "kms:Decrypt",
          "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
        ]
        Resource = "*"
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })

  tags = var.tags
}

# The key's name for people and for the sweeper of leftover stacks (keys themselves have none).
resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${local.topic_name}"
  target_key_id = aws_kms_key.this[0].key_id
}

resource "aws_sns_topic" "this" {
  name              = local.topic_name
  kms_master_key_id = local.create_kms_key ? aws_kms_key.this[0].arn : var.kms_master_key_id

  # Only CloudWatch alarms of this account may publish; the account keeps managing the topic.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountManagesTheTopic"
        Effect    = "Allow"
        Principal = { AWS = local.root_arn }
        Action = [
          "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission",
          "sns:RemovePermission", "sns:DeleteTopic", "sns:Subscribe", "sns:ListSubscriptionsByTopic",
          "sns:Publish",
        ]
        Resource = local.topic_arn
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = local.topic_arn
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })

  tags = var.tags
}

# E-mail subscriptions stay "pending confirmation" until the owner clicks the link AWS sends.
resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.percentile
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  period              = var.period
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints_to_alarm
  treat_missing_data  = var.treat_missing_data

  # Percentile alarms only: a period with fewer samples than CloudWatch needs for the percentile
  # (1,000 for p99) leaves the state as it is instead of deciding on a handful of requests.
  evaluate_low_sample_count_percentiles = each.value.percentile != null ? "ignore" : null

  # The owner hears when it breaks and when it recovers.
  alarm_actions = [aws_sns_topic.this.arn]
  ok_actions    = [aws_sns_topic.this.arn]

  tags = var.tags
}
