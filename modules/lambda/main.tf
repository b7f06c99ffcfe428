data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # Identity of the role and its inline policy: the function's name unless an adopted deployment
  # already uses other names (changing a role's name or path replaces it).
  role_name   = coalesce(var.role_name, var.function_name)
  policy_name = coalesce(var.policy_name, var.function_name)

  log_group_name = "/aws/lambda/${var.function_name}"
  # Composed rather than read from the log group resource, so the whole policy is known at plan time.
  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_name}"

  policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = ["${local.log_group_arn}:*"]
        },
      ],
      # X-Ray accepts trace writes only on Resource "*" (no resource-level permissions), so the
      # statement exists only when tracing is asked for.
      [
        for mode in compact([var.tracing_mode]) : {
          Sid      = "WriteTraces"
          Effect   = "Allow"
          Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
          Resource = ["*"]
        }
      ],
      [
        for index, statement in var.policy_statements : {
          Sid      = "Statement${index}"
          Effect   = "Allow"
          Action   = statement.actions
          Resource = statement.resources
        }
      ],
    )
  }
}

resource "aws_iam_role" "this" {
  name                 = local.role_name
  path                 = var.role_path
  permissions_boundary = var.permissions_boundary

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Action    = "sts:AssumeRole"
        Principal = { Service = "lambda.amazonaws.com" }
      },
    ]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = local.policy_name
  role   = aws_iam_role.this.id
  policy = jsonencode(local.policy)
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts every log group at rest by default; a customer managed key is an opt-in (log_group_kms_key_arn).
  #checkov:skip=CKV_AWS_338:Retention is an input (7-30 days per environment) to cap cost; function logs are operational, not an audit record kept for a year.

  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_group_kms_key_arn

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:X-Ray tracing is an opt-in (tracing_mode): it needs xray:PutTraceSegments on Resource "*", which the role otherwise never holds; HTTP APIs do not trace.
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway, which returns the error to the caller; a dead-letter queue only receives asynchronous invocations.
  #checkov:skip=CKV_AWS_117:Reaches only DynamoDB and CloudWatch Logs over AWS endpoints; a VPC would add NAT or endpoint cost without isolating anything.
  #checkov:skip=CKV_AWS_173:The only environment variable is the table name, not a secret; Lambda encrypts environment variables at rest with an AWS managed key.
  #checkov:skip=CKV_AWS_272:The zip is built reproducibly from reviewed sources and pinned by source_code_hash; code signing would need a Signer profile outside this stack.

  function_name                  = var.function_name
  role                           = aws_iam_role.this.arn
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  handler                        = var.handler
  runtime                        = var.runtime
  timeout                        = var.timeout
  memory_size                    = var.memory_size
  reserved_concurrent_executions = var.reserved_concurrent_executions
  architectures                  = var.architectures # null: Lambda's default, x86_64

  dynamic "tracing_config" {
    for_each = compact([var.tracing_mode])
    content {
      mode = tracing_config.value
    }
  }

  dynamic "environment" {
    for_each = length(var.environment_variables) > 0 ? [var.environment_variables] : []
    content {
      variables = environment.value
    }
  }

  tags = var.tags

  # The log group exists (with its retention) before the first invocation can create it, and the
  # role can write logs before the function runs.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}
